"""What an outside access test got out of the case pages, and must not any more.

Each test asserts what the attacker *gains*: a page, a file, a line of text,
a row. "Me too" on another household's flat, the "me too" list read for a
flat that is not one's own, a case dispatched to a forged person.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from buildings.tests import factories as f
from community.choices import Status
from community.models import Case, CaseEvent, CaseFollower
from community.services import (
    case_comment,
    case_dispatch,
    case_merge,
    case_metoo,
    case_submit,
    case_supervise,
)
from community.workflow import WorkflowError
from portal.tests.upload_samples import wav

from .factories import case_in, category, jpeg
from .test_views import act, client_for, detail

S = Status
PHONE = "13812345678"


def _files(case) -> list[str]:
    urls = [p.image.url for p in case.photos.all()] + [p.thumb.url for p in case.photos.all()]
    if case.voice:
        urls.append(case.voice.url)
    return urls


@pytest.fixture
def flat_case(world):
    """A case inside resident_a's flat, with their phone number, a photo and their voice."""
    world.resident_a.display_name = "韦阿姨"
    world.resident_a.save(update_fields=["display_name"])
    return case_submit(reporter=world.resident_a, category=category(),
                       household=world.household_a, description=f"卫生间漏水，电话{PHONE}",
                       photos=[jpeg()], voice=ContentFile(wav(1.0), name="v.wav"))


@pytest.fixture
def stairwell_case(world):
    """A case at the stairwell of building A, the same text, photo and voice."""
    world.resident_a.display_name = "韦阿姨"
    world.resident_a.save(update_fields=["display_name"])
    return case_submit(reporter=world.resident_a, category=category(),
                       unit=world.household_a.unit, description=f"楼道灯坏了，电话{PHONE}",
                       photos=[jpeg()], voice=ContentFile(wav(1.0), name="v.wav"))


# --- 1. "Me too" on another household's flat ---------------------------------------------


@pytest.mark.parametrize("who", ["resident_b", "resident_a2"],
                         ids=["another building", "another flat of the building"])
def test_forged_me_too_on_a_flat_opens_nothing(world, flat_case, who):
    attacker = getattr(world, who)
    c = client_for(attacker)
    assert c.get(detail(flat_case)).status_code == 404
    response = c.post(act(flat_case, "metoo"))
    assert response.status_code == 404
    assert PHONE not in response.content.decode()
    assert not CaseFollower.objects.filter(case=flat_case, user=attacker).exists()
    assert not CaseEvent.objects.filter(case=flat_case, kind="metoo").exists()
    flat_case.refresh_from_db()
    assert flat_case.metoo_count == 0
    assert c.get(detail(flat_case)).status_code == 404
    for url in _files(flat_case):
        assert c.get(url).status_code == 404, url
    with pytest.raises(WorkflowError):
        case_metoo(actor=attacker, case_id=flat_case.pk)


def test_me_too_only_from_those_who_share_the_place(world, stairwell_case):
    assert client_for(world.resident_b).post(act(stairwell_case, "metoo")).status_code == 404
    assert client_for(world.stranger).post(act(stairwell_case, "metoo")).status_code == 404
    assert client_for(world.resident_a2).post(act(stairwell_case, "metoo")).status_code == 303
    assert list(CaseFollower.objects.filter(case=stairwell_case)
                .values_list("user", flat=True)) == [world.resident_a2.pk]
    # Too late for "me too": told why, and shown nothing of the case.
    done = case_in(world, S.RESOLVED, unit=world.household_a.unit)
    response = client_for(world.resident_a2).post(act(done, "metoo"))
    assert response.status_code == 403
    assert "我也遇到" in response.content.decode()
    assert "楼道灯坏了" not in response.content.decode()


def test_a_follower_reads_a_neighbours_view(world, stairwell_case):
    case_comment(actor=world.resident_a, case_id=stairwell_case.pk,
                 text="晚上打 138 1234 5678 找我")
    case_supervise(actor=world.worker_a, case_id=stairwell_case.pk, text="督办：内部意见")
    c = client_for(world.resident_a2)
    assert c.post(act(stairwell_case, "metoo")).status_code == 303
    page = c.get(detail(stairwell_case)).content.decode()
    assert "楼道灯坏了" in page and "138****5678" in page
    assert PHONE not in page and "1234 5678" not in page
    assert "韦阿姨" not in page and world.resident_a.masked_phone not in page
    assert "督办：内部意见" not in page
    assert stairwell_case.voice.url not in page
    assert c.get(stairwell_case.voice.url).status_code == 404
    # The stairwell is everyone's: its photo is shown and served.
    photo = stairwell_case.photos.get()
    assert photo.thumb.url in page
    assert c.get(photo.image.url).status_code == 200
    # The reporter still sees it all.
    own = client_for(world.resident_a).get(detail(stairwell_case)).content.decode()
    assert PHONE in own and stairwell_case.voice.url in own


def test_a_follower_by_merge_sees_nothing_of_the_flat(world, flat_case):
    """The reporter of a merged duplicate follows a case inside someone's flat."""
    dup = case_submit(reporter=world.resident_b, category=category(),
                      household=world.household_b, description="楼上漏水")
    case_merge(actor=world.worker_top, case_id=dup.pk, into_id=flat_case.pk)
    c = client_for(world.resident_b)
    response = c.get(detail(flat_case))
    assert response.status_code == 200
    page = response.content.decode()
    assert world.household_a.address not in page and world.household_a.masked_address in page
    assert PHONE not in page and "韦阿姨" not in page
    for url in _files(flat_case):
        assert url not in page
        assert c.get(url).status_code == 404, url


# --- 4. The "me too" list ------------------------------------------------------------------


def _similar(user, where, **extra):
    params = {"category": category().code, "where": where, **extra}
    return client_for(user).get(reverse("community:similar"), params).content.decode()


def test_the_me_too_list_shows_nothing_of_another_flat(world, flat_case, stairwell_case):
    unit = world.household_a.unit
    for where in (f"h{world.household_a.pk}", f"u{unit.pk}", f"b{world.building_a.pk}"):
        # Not their building, or no verified home at all: nothing.
        for outsider in (world.resident_b, world.stranger):
            assert "我也遇到" not in _similar(outsider, where), (outsider, where)
        # A neighbour in the building: the stairwell, never the flat next door.
        html = _similar(world.resident_a2, where)
        assert act(stairwell_case, "metoo") in html, where
        assert act(flat_case, "metoo") not in html and "卫生间漏水" not in html
        assert PHONE not in html and "138****5678" in html


def test_the_me_too_list_for_staff_filing_is_their_scope(world, flat_case):
    where = f"u{world.household_a.unit.pk}"
    html = _similar(world.worker_a, where, behalf="1")
    assert "卫生间漏水" in html and PHONE not in html and "138****5678" in html
    assert act(flat_case, "metoo") not in html  # staff do not say "me too"
    assert "卫生间漏水" not in _similar(world.worker_b, where, behalf="1")
    assert "卫生间漏水" not in _similar(world.head_a, where, behalf="1")  # a flat, not a stair
    assert "卫生间漏水" not in _similar(world.resident_b, where, behalf="1")  # may not file


# --- 5. Dispatch to a forged person --------------------------------------------------------


def test_forged_dispatch_to_a_resident_is_refused(world):
    case = case_in(world, S.TRIAGED)
    events = case.events.count()
    response = client_for(world.worker_a).post(act(case, "dispatch"),
                                               {"to": f"u{world.resident_b.pk}"})
    assert response.status_code == 400
    assert "只能转给本社区承办部门的承办人" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.TRIAGED and case.assignee is None and case.department is None
    assert case.events.count() == events
    c = client_for(world.resident_b)
    assert c.get(detail(case)).status_code == 404
    assert c.post(act(case, "accept")).status_code == 404


def test_reassign_to_a_forged_person_is_refused(world):
    case = case_in(world, S.IN_PROGRESS)
    response = client_for(world.worker_a).post(act(case, "dispatch"),
                                               {"to": f"u{world.stranger.pk}"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.assignee is None
    assert case.department == world.department
    assert client_for(world.stranger).get(detail(case)).status_code == 404


def test_dispatch_service_takes_only_the_communitys_handlers(world):
    elsewhere = f.DepartmentFactory(community=f.CommunityFactory(name="别的社区"), name="物业")
    outsider = f.handler(elsewhere)
    case = case_in(world, S.TRIAGED)
    for person, department in ((world.resident_b, None), (world.stranger, world.department),
                               (outsider, None), (world.other_handler, world.department)):
        with pytest.raises(WorkflowError) as refused:
            case_dispatch(actor=world.worker_a, case_id=case.pk, person=person,
                          department=department)
        assert "只能转给本社区承办部门的承办人" in refused.value.message
        assert Case.objects.get(pk=case.pk).status == S.TRIAGED
    case_dispatch(actor=world.worker_a, case_id=case.pk, person=world.other_handler)
    case.refresh_from_db()
    assert case.status == S.DISPATCHED
    assert (case.assignee, case.department) == (world.other_handler, world.other_department)
    assert client_for(world.other_handler).get(detail(case)).status_code == 200
