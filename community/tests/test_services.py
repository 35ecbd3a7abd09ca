"""The services: what each guarantees, with the rows a person would see."""

import io
import wave
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community import workdays
from community.choices import Channel, EventKind, Ladder, Status
from community.models import CalendarDay, Case, CaseEvent, CaseFollower, CasePhoto
from community.services import (
    case_comment,
    case_dispatch,
    case_give_feedback,
    case_hand_back,
    case_merge,
    case_metoo,
    case_resolve,
    case_submit,
    case_triage,
    case_urge,
    cases_close_unrated,
    cases_supervise_due,
)
from community.workflow import WorkflowError
from portal.models import Notification

from .factories import case_in, category, jpeg

S = Status
TZ = timezone.get_current_timezone()


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h, 0), TZ)


def wav(seconds: float) -> SimpleUploadedFile:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * int(8000 * seconds))
    return SimpleUploadedFile("v.wav", out.getvalue(), content_type="audio/wav")


# --- Submitting ---------------------------------------------------------------------


def test_submit_is_idempotent_on_the_phone_key(world):
    kw = {"reporter": world.resident_a, "category": category(), "description": "灯坏了",
          "client_key": "5f0c6a3e-1111-4d3c-9a55-3b8f4e0e0001"}
    first = case_submit(**kw, photos=[jpeg()])
    again = case_submit(**kw, photos=[jpeg(), jpeg()])
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.SUBMIT).count() == 1
    assert CasePhoto.objects.count() == 1
    # The own flat is filled in when no place is given.
    assert first.household == world.household_a and first.grid == world.grid_a
    assert Notification.objects.filter(recipient=world.worker_a).count() == 1


def test_submit_keeps_photos_without_exif_and_the_voice(world):
    case = case_submit(reporter=world.resident_a, category=category(), voice=wav(5),
                       photos=[jpeg(size=(3000, 2000))])
    photo = case.photos.get()
    assert max(photo.width, photo.height) <= 1600
    # Stored re-encoded from the decoded sound (Opus in WebM), not as sent.
    assert case.voice.name.endswith(".webm")
    stored = case.voice.read()
    assert stored[:4] == b"\x1a\x45\xdf\xa3" and b"WAVE" not in stored


@pytest.mark.parametrize("bad, message", [
    ({"photos": [jpeg() for _ in range(7)]}, "最多"),
    ({"photos": [SimpleUploadedFile("x.jpg", b"not an image at all", "image/jpeg")]}, "不是照片"),
    ({"voice": wav(61)}, "录音太长"),
    ({"description": ""}, "描述"),
])
def test_bad_submissions_write_nothing(world, bad, message):
    kw = {"reporter": world.resident_a, "category": category(), "description": "灯坏了"}
    kw.update(bad)
    with pytest.raises(WorkflowError) as exc:
        case_submit(**kw)
    assert message in exc.value.message or "是什么问题" in exc.value.message
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0
    assert Notification.objects.count() == 0


def test_on_behalf_records_the_channel_and_who_filed(world):
    case = case_submit(reporter=None, reporter_name="覃大爷", category=category(),
                       description="门口积水", building=world.building_a,
                       channel=Channel.PHONE, on_behalf_by=world.head_a, client_key="k1")
    assert case.channel == "phone" and case.on_behalf_by == world.head_a
    assert case.events.get().actor == world.head_a
    assert case_submit(reporter=None, category=category(), description="x",
                       building=world.building_a, on_behalf_by=world.head_a,
                       client_key="k1").pk == case.pk


def test_me_too_and_merge_bring_people_along(world):
    kept = case_in(world, S.SUBMITTED, unit=world.household_a.unit)  # their stairwell
    case_metoo(actor=world.resident_a2, case_id=kept.pk)
    case_metoo(actor=world.resident_a2, case_id=kept.pk)  # twice counts once
    dup = case_submit(reporter=world.resident_b, category=category(),
                      household=world.household_b, description="同一盏灯")
    case_merge(actor=world.worker_top, case_id=dup.pk, into_id=kept.pk)
    kept.refresh_from_db()
    dup.refresh_from_db()
    assert dup.status == S.MERGED and dup.merged_into == kept
    assert set(CaseFollower.objects.filter(case=kept).values_list("user", flat=True)) == {
        world.resident_b.pk, world.resident_a2.pk}
    assert kept.metoo_count == 2
    # The duplicate's reporter hears about the kept case from now on.
    case_triage(actor=world.worker_a, case_id=kept.pk)
    case_dispatch(actor=world.worker_a, case_id=kept.pk, department=world.department)
    assert Notification.objects.filter(recipient=world.resident_b,
                                       url=f"/cases/{kept.pk}/").count() >= 2


# --- Handling and feedback ------------------------------------------------------------


def test_hand_back_needs_a_reason_and_returns_to_dispatch(world):
    case = case_in(world, S.DISPATCHED)
    with pytest.raises(WorkflowError):
        case_hand_back(actor=world.handler, case_id=case.pk, reason="  ")
    case.refresh_from_db()
    assert case.status == S.DISPATCHED
    case_hand_back(actor=world.handler, case_id=case.pk, reason="不是物业的事")
    case.refresh_from_db()
    assert case.status == S.TRIAGED
    assert case.events.last().note == "不是物业的事"


def test_a_resident_comment_lands_with_the_handler(world):
    case = case_in(world, S.IN_PROGRESS)
    case_comment(actor=world.resident_a, case_id=case.pk, text="晚上更暗了",
                 photos=[jpeg()])
    assert Notification.objects.filter(recipient=world.handler,
                                       title__contains="补充").exists()
    assert case.events.last().photos.count() == 1


@pytest.mark.parametrize("fixed, rating, status", [
    (True, 5, S.CLOSED), (True, 3, S.CLOSED), (True, 2, S.TRIAGED), (False, None, S.TRIAGED),
])
def test_feedback_closes_or_reopens(world, fixed, rating, status):
    case = case_in(world, S.RESOLVED)
    case_give_feedback(actor=world.resident_a, case_id=case.pk, fixed=fixed, rating=rating)
    case.refresh_from_db()
    assert case.status == status
    if status == S.TRIAGED:
        assert case.reopen_count == 1
        assert Notification.objects.filter(recipient=world.worker_a,
                                           title__contains="未解决").exists()
        # and it can be dispatched again
        case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.other_department)


def test_closed_cases_are_read_only(world):
    case = case_in(world, S.CLOSED)
    for fn, kw in [(case_comment, {"actor": world.resident_a, "text": "x"}),
                   (case_triage, {"actor": world.worker_a}),
                   (case_resolve, {"actor": world.handler, "text": "x"})]:
        with pytest.raises(WorkflowError):
            fn(case_id=case.pk, **kw)
    assert case.events.count() == CaseEvent.objects.filter(case=case).count()


def test_no_answer_closes_as_no_rating(world):
    case = case_in(world, S.RESOLVED)
    resolved = Case.objects.get(pk=case.pk).resolved_at
    assert cases_close_unrated(now=resolved + timezone.timedelta(days=6)) == 0
    assert cases_close_unrated(now=resolved + timezone.timedelta(days=8)) == 1
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.no_rating and case.rating is None


def test_dispatch_to_volunteers_makes_a_task_and_its_end_is_the_result(world):
    case = case_in(world, S.TRIAGED)
    case_dispatch(actor=world.worker_a, case_id=case.pk, to_volunteers=True)
    case.refresh_from_db()
    assert case.status == S.DISPATCHED and case.to_volunteers
    from volunteers.models import Task
    from volunteers.signals import task_finished

    task = Task.objects.filter(source_case_id=case.pk).first()
    assert task is not None
    task_finished.send(sender=Task, task=task, case_id=case.pk, actor=world.resident_b,
                       summary="志愿者帮忙换了灯泡")
    case.refresh_from_db()
    assert case.status == S.RESOLVED
    assert "换了灯泡" in case.events.filter(kind=EventKind.RESOLVE).get().note


# --- Deadlines and supervision --------------------------------------------------------


def test_working_days_follow_holidays_and_make_up_days(db):
    # National Day 2026: 1–7 October off, Saturday 10 October a make-up working day.
    assert workdays.add_workdays(datetime(2026, 9, 30).date(), 2) == datetime(2026, 10, 9).date()
    assert workdays.is_workday(datetime(2026, 10, 10).date())
    # Spring Festival 2026: Saturday 14 February is worked, 16–23 February off.
    assert workdays.add_workdays(datetime(2026, 2, 13).date(), 1) == datetime(2026, 2, 14).date()
    assert workdays.add_workdays(datetime(2026, 2, 14).date(), 1) == datetime(2026, 2, 24).date()
    # 2027 is unknown to the library: the admin's calendar fills it in.
    new_year = datetime(2027, 1, 1).date()
    assert workdays.is_workday(new_year)  # a Friday, as far as anyone knows
    CalendarDay.objects.create(date=new_year, is_workday=False, note="元旦")
    CalendarDay.objects.create(date=datetime(2027, 1, 2).date(), is_workday=True, note="调休")
    assert not workdays.is_workday(new_year)
    assert workdays.add_workdays(datetime(2026, 12, 31).date(), 1) == datetime(2027, 1, 2).date()


def test_supervision_ladder_across_national_day(world):
    """Triaged 30 Sep with 2 working days: due 9 Oct (the holiday week does not count)."""
    world.department.supervisor = world.admin
    world.department.save(update_fields=["supervisor"])
    case = case_in(world, S.SUBMITTED)
    Case.objects.filter(pk=case.pk).update(created_at=at(2026, 9, 30))
    category().__class__.objects.filter(code="repair").update(days_high=2)
    case_triage(actor=world.worker_a, case_id=case.pk, priority="high")
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    case.refresh_from_db()
    assert timezone.localtime(case.due_at).date() == datetime(2026, 10, 9).date()

    def ladder_on(day, hour=10):
        cases_supervise_due(now=at(2026, 10, day, hour))
        case.refresh_from_db()
        return case.ladder

    # The whole holiday week: two working days still left, nobody is reminded.
    for day in range(1, 8):
        assert ladder_on(day) == Ladder.NONE, day
    assert ladder_on(8) == Ladder.REMINDED
    assert Notification.objects.filter(recipient=world.handler,
                                       title__contains="快到").count() == 1
    assert ladder_on(9, 20) == Ladder.REMINDED  # due tonight, not late yet
    # Saturday 10 Oct is a make-up working day: the first day late.
    assert ladder_on(10) == Ladder.OVERDUE
    # Sunday 11 Oct: one full working day (the Saturday) has passed: 催办.
    assert ladder_on(11) == Ladder.ESCALATED
    assert Notification.objects.filter(recipient=world.worker_top,
                                       title__startswith="催办").exists()
    assert ladder_on(13) == Ladder.ESCALATED  # 10 and 12 Oct: two working days late
    assert ladder_on(14) == Ladder.REPORTED   # three: 通报 to the community admin
    assert Notification.objects.filter(recipient=world.admin,
                                       title__startswith="通报").exists()
    kinds = list(case.events.filter(internal=True).values_list("kind", flat=True))
    assert kinds == ["remind", "overdue", "escalate", "report"]
    cases_supervise_due(now=at(2026, 10, 20))
    assert case.events.filter(internal=True).count() == 4  # each step once


def test_urge_only_when_overdue_and_once_a_day(world):
    case = case_in(world, S.DISPATCHED)
    with pytest.raises(WorkflowError):
        case_urge(actor=world.resident_a, case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timezone.timedelta(days=1))
    case_urge(actor=world.resident_a, case_id=case.pk)
    assert Notification.objects.filter(recipient=world.handler, title__contains="催").exists()
    with pytest.raises(WorkflowError) as exc:
        case_urge(actor=world.resident_a, case_id=case.pk)
    assert "今天" in exc.value.message
    case_urge(actor=world.resident_a, case_id=case.pk,
              now=timezone.now() + timezone.timedelta(days=1))
    assert case.events.filter(kind=EventKind.URGE).count() == 2


def test_case_numbers_carry_the_communitys_local_date(world):
    """03:08 on 1 December in Luocheng is 19:08 on 30 November in UTC."""
    case = case_submit(reporter=world.resident_a, category=category(), description="灯坏了",
                       household=world.household_a)
    Case.objects.filter(pk=case.pk).update(
        created_at=timezone.make_aware(datetime(2026, 12, 1, 3, 8), TZ))
    case.refresh_from_db()
    assert case.number.startswith("20261201-")
