"""The world the access matrix (tests/test_access_matrix.py) is filled from.

Two communities: 东区 (C1) with two grids (G1a holds building B1, G1b holds B2)
and 西区 (C2) with one grid (G2, building B3), in two townships of one county
(C1 under 东门镇 T1, C2 under 四把镇 T2), each region with its admin. One account for every role in
each, anonymous and a signed-in stranger, and in C1 one of every object a
route can be about: a case in a flat, a case in a public place, a dispute, a
chat conversation with a photo and a voice note, a notice per audience with a
document and an image, a volunteer task with a claim, a shop redemption.

Made with the project's own factories and services, so every object is what
the portal itself would have written.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from buildings.choices import PlaceKind, ResidencyState
from buildings.models import (
    BuildingHead,
    CommunityAdmin,
    DepartmentHandler,
    GridWorker,
    LiaisonStaff,
    PublicPlace,
    Region,
    RegionAdmin,
    Residency,
)
from buildings.regions import RegionKind
from buildings.services import COMMUNITY_ADMIN_GROUP
from buildings.tests import factories as f
from community.tests.factories import category, jpeg
from notices.choices import Audience
from notices.tests.helpers import make_notice
from volunteers.tests.factories import task as make_task
from volunteers.tests.factories import volunteer as make_volunteer

ANONYMOUS = "anonymous"


@dataclass
class MatrixWorld:
    users: dict = field(default_factory=dict)  # identity name -> User (anonymous: None)
    objects: dict = field(default_factory=dict)  # object label -> model instance / value
    c1: object = None
    c2: object = None


def _png(name: str) -> ContentFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(out, "PNG")
    return ContentFile(out.getvalue(), name=name)


def build_world() -> MatrixWorld:  # noqa: PLR0915 - one world, told in order
    from community import services as cs
    from community.disputes import services as disputes
    from community.liaison import services as ls
    from community.liaison.choices import MessageKind
    from portal.site import ensure_home_page
    from portal.uploads import clean_photo
    from volunteers import services as vs
    from volunteers.models import ShopItem

    ensure_home_page()
    w = MatrixWorld()
    u = w.users
    u[ANONYMOUS] = None

    # --- places ---------------------------------------------------------------------
    county = Region.objects.create(name="罗城县", kind=RegionKind.COUNTY)
    t1 = Region.objects.create(name="东门镇", kind=RegionKind.TOWNSHIP, parent=county)
    t2 = Region.objects.create(name="四把镇", kind=RegionKind.TOWNSHIP, parent=county)
    c1 = f.CommunityFactory(name="东区社区", township=t1)
    c2 = f.CommunityFactory(name="西区社区", township=t2)
    w.c1, w.c2 = c1, c2
    g1a = f.make_grid(code="E-A", name="东A网格", community=c1)
    g1b = f.make_grid(code="E-B", name="东B网格", community=c1)
    g2 = f.make_grid(code="W-A", name="西A网格", community=c2)
    b1 = f.BuildingFactory(community=c1, grid=g1a, number=1)
    b2 = f.BuildingFactory(community=c1, grid=g1b, number=2)
    b3 = f.BuildingFactory(community=c2, grid=g2, number=3)
    u1 = f.UnitFactory(building=b1, number=1)
    u2 = f.UnitFactory(building=b2, number=1)
    u3 = f.UnitFactory(building=b3, number=1)
    h1 = f.HouseholdFactory(unit=u1, number="101", floor=1)
    h1b = f.HouseholdFactory(unit=u1, number="102", floor=1)
    h2 = f.HouseholdFactory(unit=u2, number="101", floor=1)
    h3 = f.HouseholdFactory(unit=u3, number="101", floor=1)
    d1 = f.DepartmentFactory(community=c1, name="东区物业")
    d2 = f.DepartmentFactory(community=c2, name="西区物业")
    place = PublicPlace.objects.create(community=c1, grid=g1a, building=b1, unit=u1,
                                       kind=PlaceKind.STAIRWELL, name="1栋1单元楼道")

    # --- people -----------------------------------------------------------------------
    u["stranger"] = f.UserFactory(display_name="陌生人")
    u["res_b1"] = f.resident_of(h1)
    u["res_b1_mate"] = f.resident_of(h1)
    u["res_b1_other"] = f.resident_of(h1b)
    u["res_b2"] = f.resident_of(h2)
    u["res_b3"] = f.resident_of(h3)
    u["head_b1"] = f.building_head(b1)
    u["head_b3"] = f.building_head(b3)
    u["worker_g1a"] = f.grid_worker(g1a)
    u["worker_g1b"] = f.grid_worker(g1b)
    u["worker_g2"] = f.grid_worker(g2)
    u["liaison_c1"] = f.liaison(c1)
    u["liaison_c2"] = f.liaison(c2)
    u["handler_c1"] = f.handler(d1)
    u["handler_c2"] = f.handler(d2)
    u["admin_c1"] = f.community_admin(c1)
    u["admin_c2"] = f.community_admin(c2)
    for name, region in (("county_admin", county), ("town_admin_t1", t1),
                         ("town_admin_t2", t2)):
        u[name] = f.UserFactory(display_name=name)
        RegionAdmin.objects.create(user=u[name], region=region)
    # As community_admin_grant does: the group that opens Wagtail's own screens.
    admins, _ = Group.objects.get_or_create(name=COMMUNITY_ADMIN_GROUP)
    for name in ("admin_c1", "admin_c2"):
        u[name].groups.add(admins)
    vol1 = make_volunteer(community=c1, grid=g1a, name="谢东")
    vol2 = make_volunteer(community=c2, grid=g2, name="谢西")
    u["vol_c1"], u["vol_c2"] = vol1.user, vol2.user
    # Someone waiting to be verified (the stranger's claim on flat 102) and
    # someone waiting to be approved as a volunteer: the objects of the
    # verify and review routes.
    pending = Residency.objects.create(user=u["stranger"], household=h1b,
                                       state=ResidencyState.PENDING)
    applicant = make_volunteer(community=c1, grid=g1a, approved=False, name="谢申请")

    o = w.objects
    o.update(county=county, township_t1=t1, township_t2=t2, community_c2=c2,
             region_admin_assignment=RegionAdmin.objects.get(user=u["town_admin_t1"]))
    o.update(community_c1=c1, building_b1=b1,
             residency_b1=Residency.objects.get(user=u["res_b1"]),
             household_h1=h1, grid_g1a=g1a, department_d1=d1, place=place,
             head_assignment=BuildingHead.objects.get(user=u["head_b1"]),
             worker_assignment=GridWorker.objects.get(user=u["worker_g1a"]),
             handler_assignment=DepartmentHandler.objects.get(user=u["handler_c1"]),
             liaison_assignment=LiaisonStaff.objects.get(user=u["liaison_c1"]),
             admin_assignment=CommunityAdmin.objects.get(user=u["admin_c1"]), unit_u1=u1, residency_pending=pending,
             volunteer_applicant=applicant, volunteer_c1=vol1)

    # --- cases ------------------------------------------------------------------------
    repair = category()
    case_flat = cs.case_submit(reporter=u["res_b1"], category=repair, household=h1,
                               description="卫生间漏水，楼下也湿了", photos=[jpeg()])
    cs.case_triage(actor=u["worker_g1a"], case_id=case_flat.pk)
    cs.case_dispatch(actor=u["worker_g1a"], case_id=case_flat.pk, department=d1)
    case_flat.refresh_from_db()
    case_public = cs.case_submit(reporter=u["res_b1_other"], category=repair, place=place,
                                 description="楼道灯坏了", photos=[jpeg("p.jpg")])
    o.update(case_flat=case_flat, case_public=case_public,
             photo_case_flat=case_flat.photos.first(),
             photo_case_public=case_public.photos.first())
    dispute = disputes.dispute_open(actor=u["worker_g1a"], title="漏水纠纷",
                              summary="楼上楼下因漏水争执", building=b1, case=case_flat,
                              party_users=[u["res_b1"]], party_names=["楼下住户"])
    o["dispute"] = dispute

    # --- the liaison room ---------------------------------------------------------------
    conversation, _ = ls.conversation_open(resident=u["res_b1"])
    ls.message_post(conversation=conversation, sender=u["res_b1"], body="你好，想问个事")
    photo_msg, _ = ls.message_post(conversation=conversation, sender=u["res_b1"],
                                   kind=MessageKind.PHOTO,
                                   photo=clean_photo(jpeg("chat.jpg")))
    voice_msg, _ = ls.message_post(conversation=conversation, sender=u["res_b1"],
                                   body="语音", client_key="voice-1")
    voice_msg.voice.save(f"{uuid.uuid4().hex}.webm", ContentFile(b"\x1aE\xdf\xa3voice"))
    ls.staff_set_duty(staff=u["liaison_c1"], on=True)
    ls.conversation_pick_up(conversation=conversation, staff=u["liaison_c1"])
    conversation.refresh_from_db()
    reply = ls.quick_reply_add(staff=u["liaison_c1"], community_id=c1.pk, text="请稍等")
    o.update(conversation=conversation, chat_photo=photo_msg.photos.first(),
             chat_voice=voice_msg, quick_reply=reply)

    # --- notices ------------------------------------------------------------------------
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from notices.models import NoticeAttachment

    o["notice_public"] = make_notice(title="全社区通知", author=u["admin_c1"])
    o["notice_grid"] = make_notice(title="东A网格通知", author=u["worker_g1a"],
                                   audience=Audience.GRIDS, grids=[g1a])
    o["notice_building"] = make_notice(title="1栋停水", author=u["head_b1"],
                                       audience=Audience.BUILDINGS, buildings=[b1],
                                       ack_wanted=True)
    document = get_document_model().objects.create(
        title="1栋停水安排", file=ContentFile(b"%PDF-1.4 only for building 1", name="ting.pdf"))
    NoticeAttachment.objects.create(notice=o["notice_building"], document=document,
                                    title="安排")
    image = get_image_model().objects.create(title="公告图", file=_png("notice.png"))
    o.update(document_building=document, notice_image=image)

    # --- volunteers ---------------------------------------------------------------------
    task = make_task(building=b1, created_by=u["worker_g1a"], places=3,
                     start_in=timedelta(days=2), households=[h1])
    claim = vs.task_claim(actor=u["vol_c1"], task_id=task.pk)
    vs.ledger_correct(actor=u["admin_c1"], volunteer_id=vol1.pk, reason="开户", points=100)
    item = ShopItem.objects.create(community=c1, name="大米", cost=10, stock=5)
    redemption = vs.item_redeem(actor=u["vol_c1"], item_id=item.pk)
    # A volunteer who lives in the flat the task serves (res_b1_mate), whose service is
    # done (checked out): the one claim a "confirm your own service" could pass on.
    make_volunteer(community=c1, grid=g1a, user=u["res_b1_mate"], name="谢同户")
    own = vs.task_claim(actor=u["res_b1_mate"], task_id=task.pk)
    now = timezone.now()
    type(own).objects.filter(pk=own.pk).update(checked_in_at=now - timedelta(hours=2),
                                               checked_out_at=now)
    o.update(task=task, claim=claim, claim_own=own, shop_item=item, redemption=redemption)
    return w
