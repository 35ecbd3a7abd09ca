"""One small view per move: its own URL, the form reads the input, the service alone decides."""

import pytest
from django.test import Client
from django.urls import resolve, reverse

from buildings.tests import factories as f
from community import services as case_services
from community import views as case_views
from community.choices import EventKind, Status
from community.forms import DispatchForm
from community.models import CaseEvent
from community.services import case_metoo
from community.whistle import services as whistle_services
from community.whistle.services import whistle_report_in
from community.workflow import WorkflowError, dispatch_kind

from .factories import case_in

pytestmark = pytest.mark.django_db
S = Status

MOVES = ["triage", "decline", "merge", "dispatch", "accept", "hand_back", "resolve", "feedback",
         "comment", "supervise", "followup", "urge", "metoo", "whistle", "report_in",
         "whistle_result"]


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("kind", MOVES)
def test_every_move_has_its_own_url_where_act_always_pointed(kind):
    url = reverse(f"community:{kind}", args=[7])
    assert url == reverse("community:act", args=[7, kind])
    assert resolve(url).url_name == kind


def test_a_move_that_does_not_exist_is_not_there(world):
    case = case_in(world, S.SUBMITTED)
    response = client_for(world.worker_a).post(reverse("community:act", args=[case.pk, "fly"]))
    assert response.status_code == 404


# --- the service alone decides -----------------------------------------------------------


def test_the_reporter_cannot_say_me_too_to_her_own_case(world):
    """The service refused nothing here before (it returned quietly); only the view did."""
    case = case_in(world, S.SUBMITTED, unit=world.household_a.unit)
    with pytest.raises(WorkflowError) as caught:
        case_metoo(actor=world.resident_a, case_id=case.pk)
    assert caught.value.forbidden
    case_metoo(actor=world.resident_a2, case_id=case.pk)
    case_metoo(actor=world.resident_a2, case_id=case.pk)  # a second tap counts once
    case.refresh_from_db()
    assert case.metoo_count == 1


def test_who_may_report_in_is_decided_before_what_they_wrote(world):
    case = case_in(world, S.DISPATCHED)
    with pytest.raises(WorkflowError) as caught:
        whistle_report_in(actor=world.resident_a, case_id=case.pk, note="")
    assert caught.value.forbidden  # not "请写下报到情况"


def test_a_bad_form_from_someone_who_may_not_make_the_move_is_a_403(world):
    case = case_in(world, S.SUBMITTED)
    for kind in ("triage", "dispatch", "decline", "whistle"):
        response = client_for(world.resident_a).post(reverse(f"community:{kind}",
                                                             args=[case.pk]), {})
        assert response.status_code == 403, kind
    # the same empty form from the grid worker: bad input, said on the case page
    response = client_for(world.worker_a).post(reverse("community:decline", args=[case.pk]),
                                               {}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["请写明原因。"]}
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.DECLINE).exists()


def test_a_move_is_checked_once_per_request(world, monkeypatch):
    """Not in the view, the service and ``_move`` each (three times, before)."""
    calls = []
    real = case_services.check_move

    def counting(case, kind, actor):
        calls.append(kind)
        return real(case, kind, actor)

    for module in (case_services, case_views, whistle_services):
        monkeypatch.setattr(module, "check_move", counting)
    case = case_in(world, S.DISPATCHED)
    calls.clear()
    response = client_for(world.worker_a).post(reverse("community:dispatch", args=[case.pk]),
                                               {"to": f"d{world.other_department.pk}"})
    assert response.status_code == 303
    assert calls == [EventKind.REASSIGN]
    calls.clear()
    response = client_for(world.resident_a).post(reverse("community:urge", args=[case.pk]))
    assert response.status_code == 400  # not overdue yet: said on the case page
    assert calls == [EventKind.URGE]


# --- dispatch: the form reads the target; dispatching again is reassigning -----------------


def test_the_dispatch_form_reads_the_target(world):
    case = case_in(world, S.TRIAGED)
    elsewhere = f.DepartmentFactory(community=f.CommunityFactory(name="别的社区"), name="外面的")

    def target(value):
        form = DispatchForm({"to": value}, case=case, user=world.worker_a)
        return form.cleaned_data["target"] if form.is_valid() else form.errors["to"]

    assert target("v") == {"to_volunteers": True}
    assert target(f"d{world.department.pk}") == {"department": world.department}
    assert target(f"u{world.handler.pk}") == {"person": world.handler}
    for bad in (f"d{elsewhere.pk}", "d", "dx", "u999999", "x1", "d99999999999999999999"):
        assert target(bad) == ["请选择承办部门、承办人或志愿服务。"], bad


def test_dispatching_a_dispatched_case_is_reassigning_it(world):
    triaged, dispatched = case_in(world, S.TRIAGED), case_in(world, S.DISPATCHED)
    assert dispatch_kind(triaged) == EventKind.DISPATCH
    assert dispatch_kind(dispatched) == EventKind.REASSIGN
    c = client_for(world.worker_a)
    page = c.get(reverse("community:detail", args=[dispatched.pk])).content.decode()
    assert reverse("community:dispatch", args=[dispatched.pk]) in page  # the same form
    c.post(reverse("community:dispatch", args=[dispatched.pk]),
           {"to": f"d{world.other_department.pk}"})
    assert dispatched.events.filter(kind=EventKind.REASSIGN).count() == 1
