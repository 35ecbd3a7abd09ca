"""The register in the Wagtail admin: community admins manage it, nobody else reaches it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from buildings.choices import ResidencyState
from buildings.models import CommunityAdmin, Grid, Household, RegisterImport, Residency
from buildings.tests import factories as f
from buildings.tests.test_importer import csv_bytes
from portal.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db

INDEXES = [
    ("register_community", "社区"),
    ("register_grid", "网格"),
    ("register_building", "楼栋"),
    ("register_unit", "单元"),
    ("register_household", "住户（户）"),
    ("register_publicplace", "公共场所"),
    ("register_residency", "住户关系"),
    ("register_department", "承办部门"),
    ("register_buildinghead", "楼栋长"),
    ("register_gridworker", "网格员"),
    ("register_departmenthandler", "承办人"),
    ("register_liaisonstaff", "连心室值班人员"),
    ("register_communityadmin", "社区管理员"),
]


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)  # a CommunityAdmin row, not a superuser, in no group
    return client


def test_a_community_admin_reaches_the_admin_and_sees_the_register_menu(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    # The sidebar is JSON for the admin's JavaScript; look for the entries' addresses.
    assert reverse("register_import:index") in html
    assert reverse("register_household:index") in html


@pytest.mark.parametrize(("name", "title"), INDEXES)
def test_every_register_list_renders_with_chinese_labels(admin_client, name, title,
                                                         django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        response = admin_client.get(reverse(f"{name}:index"))
    assert response.status_code == 200
    assert title in response.content.decode()


def test_the_household_list_masks_phones_and_costs_few_queries(admin_client, world,
                                                                django_assert_max_num_queries):
    for number in range(201, 221):
        f.HouseholdFactory(unit=world.household_a.unit, number=str(number), floor=2)
    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse("register_household:index"))
    html = response.content.decode()
    assert world.household_a.masked_phone in html
    assert world.household_a.phone[3:] not in html
    assert "联系电话" in html and "户主姓名" in html and "地址" in html


@pytest.mark.parametrize(
    "query",
    ["1栋 1单元 101", "1-1-101", "{head}", "{phone}"],
)
def test_household_search_by_address_head_or_phone(admin_client, world, query):
    h = world.household_a
    query = query.format(head=h.head_name, phone=h.phone[-6:])
    response = admin_client.get(reverse("register_household:index"), {"q": query})
    html = response.content.decode()
    assert h.head_name in html
    assert world.household_b.head_name not in html


@pytest.mark.parametrize(
    ("name", "obj", "label"),
    [
        ("register_household", "household_a", "户主姓名"),
        ("register_building", "building_a", "所属网格"),
        ("register_grid", "grid_a", "编号"),
        ("register_community", "community", "值班电话"),
    ],
)
def test_edit_pages_render_with_chinese_labels(admin_client, world, name, obj, label):
    response = admin_client.get(reverse(f"{name}:edit", args=[getattr(world, obj).pk]))
    assert response.status_code == 200
    assert label in response.content.decode()


def test_building_head_edit_shows_may_publish_directly(admin_client, world):
    from buildings.models import BuildingHead

    head = BuildingHead.objects.get(user=world.head_a)
    response = admin_client.get(reverse("register_buildinghead:edit", args=[head.pk]))
    assert "可直接发布通知" in response.content.decode()
    response = admin_client.post(
        reverse("register_buildinghead:edit", args=[head.pk]),
        {"user": world.head_a.pk, "building": world.building_a.pk,
         "may_publish_directly": "on", "since": "2026-01-01"},
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.may_publish_directly


def test_household_edit_reads_the_phone(admin_client, world):
    h = world.household_a
    url = reverse("register_household:edit", args=[h.pk])
    data = {"unit": h.unit_id, "floor": 1, "number": h.number, "head_name": "新户主",
            "members": 3, "origin_village": "", "note": ""}
    response = admin_client.post(url, {**data, "phone": "1381234"})
    assert response.status_code == 200
    assert "请填写11位手机号码" in response.content.decode()
    response = admin_client.post(url, {**data, "phone": "138 1234 5678"})
    assert response.status_code == 302
    h.refresh_from_db()
    assert (h.head_name, h.phone) == ("新户主", "+8613812345678")


def test_a_child_grid_is_made_through_the_tree(admin_client, world):
    response = admin_client.post(
        reverse("register_grid:add"),
        {"community": world.community.pk, "parent": world.grid_a.pk, "name": "A1网格",
         "code": "W1-A-1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    child = Grid.objects.get(code="W1-A-1")
    assert child.depth == 3
    assert child.get_parent() == world.grid_a
    assert Grid.objects.get(pk=world.grid_a.pk).get_children().count() == 1
    # Nothing below the third level.
    response = admin_client.post(
        reverse("register_grid:add"),
        {"community": world.community.pk, "parent": child.pk, "name": "太深", "code": "X"},
    )
    assert response.status_code == 200
    assert "三级网格下不能再建网格" in response.content.decode()
    # A root grid.
    response = admin_client.post(
        reverse("register_grid:add"),
        {"community": world.community.pk, "parent": "", "name": "新社区网格", "code": "W2"},
    )
    assert response.status_code == 302
    assert Grid.objects.get(code="W2").depth == 1


def test_the_grid_list_shows_level_and_parent(admin_client, world):
    html = admin_client.get(reverse("register_grid:index")).content.decode()
    assert "二级网格" in html and "一级网格" in html
    assert "社区网格" in html  # A网格's parent


# --- Residencies: through the services ---------------------------------------------


@pytest.fixture
def claim(world):
    user = f.UserFactory()
    return Residency.objects.create(user=user, household=world.household_a,
                                    state=ResidencyState.PENDING)


def test_verify_from_the_admin_goes_through_the_service(admin_client, world, claim):
    response = admin_client.get(reverse("register_residency:index"), {"state": "pending"})
    html = response.content.decode()
    assert reverse("register_residency:verify", args=[claim.pk]) in html
    assert admin_client.get(reverse("register_residency:verify", args=[claim.pk])).status_code == 200
    response = admin_client.post(reverse("register_residency:verify", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ResidencyState.VERIFIED
    assert claim.decided_by == world.admin
    assert AuditEntry.objects.filter(action="residency.verify", object_id=str(claim.pk),
                                     actor=world.admin).exists()
    assert Notification.objects.filter(recipient=claim.user).exists()


def test_reject_from_the_admin_needs_a_reason(admin_client, claim):
    url = reverse("register_residency:reject", args=[claim.pk])
    response = admin_client.post(url, {"reason": ""})
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == ResidencyState.PENDING
    admin_client.post(url, {"reason": "查无此人"})
    claim.refresh_from_db()
    assert (claim.state, claim.reason) == (ResidencyState.REJECTED, "查无此人")
    assert AuditEntry.objects.filter(action="residency.reject", object_id=str(claim.pk)).exists()


def test_a_residency_cannot_be_edited_raw(admin_client, claim):
    response = admin_client.post(reverse("register_residency:edit", args=[claim.pk]),
                                 {"relation": "head", "state": "verified"})
    assert response.status_code in (302, 403)
    claim.refresh_from_db()
    assert claim.state == ResidencyState.PENDING


# --- Who is refused ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["resident_a", "head_a", "worker_a", "stranger"])
@pytest.mark.parametrize("url", [
    "register_household:index", "register_residency:index", "register_import:index",
    "register_import:template",
])
def test_people_who_are_not_community_admins_are_refused(client, world, who, url):
    client.force_login(getattr(world, who))
    response = client.get(reverse(url))
    assert response.status_code in (302, 403)
    assert world.household_a.head_name not in response.content.decode()


def test_an_editor_with_admin_access_is_still_refused_the_register(client, world, claim):
    editors = Group.objects.create(name="编辑")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    world.head_a.groups.add(editors)
    client.force_login(world.head_a)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    for url in ("register_household:index", "register_import:index"):
        response = client.get(reverse(url))
        assert response.status_code in (302, 403), url
    response = client.post(reverse("register_residency:verify", args=[claim.pk]))
    assert response.status_code in (302, 403)
    claim.refresh_from_db()
    assert claim.state == ResidencyState.PENDING
    response = client.post(reverse("register_import:index"),
                           {"community": world.community.pk,
                            "file": _upload(csv_bytes([["1", "2", "3", "301", "罗", "", "", "",
                                                         ""]]))})
    assert response.status_code in (302, 403)
    assert not RegisterImport.objects.exists()


# --- The import screens ----------------------------------------------------------------


def _upload(data: bytes, name: str = "名册.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_import_upload_preview_confirm(admin_client, world):
    response = admin_client.get(reverse("register_import:index"))
    assert response.status_code == 200
    assert "下载模板文件" in response.content.decode()
    rows = [["1", "2", "3", "301", "罗秀英", "13812345678", "4", "四把镇", ""],
            ["1", "2", "3", "302", "银建国", "", "", "", ""]]
    response = admin_client.post(reverse("register_import:index"),
                                 {"community": world.community.pk, "file": _upload(csv_bytes(rows))})
    record = RegisterImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("register_import:preview", args=[record.pk])
    html = admin_client.get(response["Location"]).content.decode()
    assert "确认导入" in html and "罗秀英" in html
    assert not Household.objects.filter(number="301").exists()  # a preview writes nothing
    response = admin_client.post(reverse("register_import:confirm", args=[record.pk]))
    assert response.status_code == 302
    assert Household.objects.filter(unit__building=world.building_a, unit__number=2).count() == 2
    record.refresh_from_db()
    assert record.state == RegisterImport.State.APPLIED
    html = admin_client.get(reverse("register_import:index")).content.decode()
    assert "已导入" in html


def test_import_preview_lists_rejected_rows_and_confirm_writes_nothing(admin_client, world):
    rows = [["1", "2", "3", "301", "罗秀英", "", "", "", ""],
            ["9", "2", "3", "302", "银建国", "", "", "", ""],
            ["1", "2", "3", "303", "吴玉兰", "12", "", "", ""]]
    admin_client.post(reverse("register_import:index"),
                      {"community": world.community.pk, "file": _upload(csv_bytes(rows))})
    record = RegisterImport.objects.get()
    html = admin_client.get(reverse("register_import:preview", args=[record.pk])).content.decode()
    assert "第 3 行" in html and "第 4 行" in html
    assert "登记册中没有“9”这栋楼" in html
    assert "不是有效的手机号码" in html
    assert "确认导入" not in html
    before = Household.objects.count()
    response = admin_client.post(reverse("register_import:confirm", args=[record.pk]),
                                 follow=True)
    assert "未通过检查" in response.content.decode()
    assert Household.objects.count() == before


def test_import_of_an_unreadable_file_says_why(admin_client, world):
    response = admin_client.post(
        reverse("register_import:index"),
        {"community": world.community.pk, "file": _upload(b"%PDF-1.4", "名册.pdf")},
    )
    assert response.status_code == 400
    assert "请上传 .xlsx 或 .csv 文件" in response.content.decode()
    assert not RegisterImport.objects.exists()


def test_confirm_after_the_register_changed_shows_the_new_preview(admin_client, world):
    rows = [["1", "1", "3", "301", "罗秀英", "", "", "", ""]]
    admin_client.post(reverse("register_import:index"),
                      {"community": world.community.pk, "file": _upload(csv_bytes(rows))})
    record = RegisterImport.objects.get()
    Household.objects.create(unit=world.household_a.unit, floor=3, number="301", head_name="别人")
    response = admin_client.post(reverse("register_import:confirm", args=[record.pk]),
                                 follow=True)
    html = response.content.decode()
    assert "登记册有了变化" in html
    assert "第 2 行" in html
    record.refresh_from_db()
    assert record.state == RegisterImport.State.PREVIEWED and record.rejected_count == 1
    assert Household.objects.filter(number="301", unit=world.household_a.unit).count() == 1


def test_another_communitys_import_is_not_found(client, world):
    other = f.CommunityFactory(name="别的社区")
    other_admin = f.community_admin(other)
    client.force_login(world.admin)
    client.post(reverse("register_import:index"),
                {"community": world.community.pk,
                 "file": _upload(csv_bytes([["1", "2", "3", "301", "罗", "", "", "", ""]]))})
    record = RegisterImport.objects.get()
    client.force_login(other_admin)
    assert client.get(reverse("register_import:preview", args=[record.pk])).status_code == 404
    assert client.post(reverse("register_import:confirm", args=[record.pk])).status_code == 404


def test_the_template_file_downloads(admin_client):
    response = admin_client.get(reverse("register_import:template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


# --- Community admins: granted through the service ----------------------------------


def test_granting_a_community_admin_puts_them_in_the_group(admin_client, world):
    person = f.UserFactory()
    response = admin_client.post(reverse("register_communityadmin:add"),
                                 {"user": person.pk, "community": world.community.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = CommunityAdmin.objects.get(user=person)
    assert person.groups.filter(name="社区管理员").exists()
    assert AuditEntry.objects.filter(action="community_admin.grant").exists()
    person.refresh_from_db()
    assert person.has_perm("wagtailadmin.access_admin")
    response = admin_client.post(reverse("register_communityadmin:delete", args=[assignment.pk]))
    assert response.status_code == 302
    assert not CommunityAdmin.objects.filter(user=person).exists()
    assert not person.groups.filter(name="社区管理员").exists()
    assert AuditEntry.objects.filter(action="community_admin.revoke").exists()


def test_the_staff_groups_exist_with_admin_access():
    admins = Group.objects.get(name="社区管理员")
    codenames = set(admins.permissions.values_list("codename", flat=True))
    assert {"access_admin", "change_household", "view_smsmessage"} <= codenames
    assert not {"add_user", "change_user"} & codenames  # no way to make oneself a superuser
    assert Group.objects.filter(name="网格员").exists()


# --- Wagtail's own log: the History tab of what was decided here -----------------------


def _history(client, namespace, pk) -> str:
    response = client.get(reverse(f"{namespace}:history", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_decisions_on_claims_show_in_wagtails_history(admin_client, world, claim):
    from wagtail.models import ModelLogEntry

    admin_client.post(reverse("register_residency:verify", args=[claim.pk]))
    entry = ModelLogEntry.objects.get(action="jiayuan.residency.verify", object_id=str(claim.pk))
    assert entry.user == world.admin
    assert "认证通过" in _history(admin_client, "register_residency", claim.pk)

    other = Residency.objects.create(user=f.UserFactory(), household=world.household_a2,
                                     state=ResidencyState.PENDING)
    admin_client.post(reverse("register_residency:reject", args=[other.pk]), {"reason": "查无此人"})
    entry = ModelLogEntry.objects.get(action="jiayuan.residency.reject", object_id=str(other.pk))
    assert entry.data == {"reason": "查无此人"}
    assert "认证不通过" in _history(admin_client, "register_residency", other.pk)


def test_a_refused_decision_leaves_no_history(admin_client, world, claim):
    from wagtail.models import ModelLogEntry

    Residency.objects.filter(pk=claim.pk).update(state=ResidencyState.VERIFIED)
    admin_client.post(reverse("register_residency:verify", args=[claim.pk]))
    assert not ModelLogEntry.objects.filter(action__startswith="jiayuan.residency").exists()


def test_an_import_shows_in_wagtails_log(admin_client, world):
    from wagtail.models import ModelLogEntry

    rows = [["1", "2", "3", "301", "罗秀英", "13812345678", "4", "四把镇", ""]]
    admin_client.post(reverse("register_import:index"),
                      {"community": world.community.pk, "file": _upload(csv_bytes(rows))})
    record = RegisterImport.objects.get()
    admin_client.post(reverse("register_import:confirm", args=[record.pk]))
    entry = ModelLogEntry.objects.get(action="jiayuan.register.import")
    assert (entry.object_id, entry.user) == (str(record.pk), world.admin)
    assert entry.data == {"households": 1, "units": 1}
    assert entry.message == "已导入登记册"


def test_granting_and_revoking_a_community_admin_show_in_wagtails_history(admin_client, world):
    from wagtail.models import ModelLogEntry

    person = f.UserFactory()
    admin_client.post(reverse("register_communityadmin:add"),
                      {"user": person.pk, "community": world.community.pk})
    assignment = CommunityAdmin.objects.get(user=person)
    assert ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(assignment.pk),
                                        user=world.admin).exists()
    assert _history(admin_client, "register_communityadmin", assignment.pk)
    admin_client.post(reverse("register_communityadmin:delete", args=[assignment.pk]))
    assert ModelLogEntry.objects.filter(action="wagtail.delete", object_id=str(assignment.pk),
                                        user=world.admin).exists()
