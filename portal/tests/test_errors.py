"""One refusal type: every app's service error is a ``portal.errors.Refused``, and a
refusal a view lets go is answered once, by ``RefusedMiddleware``."""

import json

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from buildings.importer import ImportFileError
from buildings.patrols.services import PatrolError
from buildings.services import RegisterChanged, RegisterError
from community.calendar import ScheduleError
from community.liaison.services import ChatError
from community.workflow import WorkflowError
from notices.services import NoticeError
from portal.errors import Refused, RefusedMiddleware
from portal.privacy import PrivacyError
from volunteers.services import InsufficientPoints, VolunteerError
from volunteers.workflow import WorkflowError as ClaimWorkflowError

SERVICE_ERRORS = [WorkflowError, ClaimWorkflowError, ChatError, ScheduleError, RegisterError,
                  RegisterChanged, PatrolError, NoticeError, VolunteerError, InsufficientPoints,
                  PrivacyError, ImportFileError]


@pytest.mark.parametrize("cls", SERVICE_ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_apps_refusal_is_a_refused(cls):
    assert issubclass(cls, Refused)


def test_a_refusal_carries_its_words_and_whether_it_is_about_the_person():
    exc = PatrolError("这户不在您负责的范围内。", forbidden=True)
    assert exc.forbidden and exc.message == str(exc) == "这户不在您负责的范围内。"
    assert not VolunteerError("这个任务已经不能报名了。").forbidden
    # The chat's refusal is still the ValidationError its callers knew.
    assert ChatError("消息是空的。").messages == ["消息是空的。"]


def test_one_apps_refusal_passes_through_another_apps_service_as_it_is():
    """No boundary translates: a volunteers refusal met by notices is caught as a Refused."""
    with pytest.raises(Refused) as caught:
        try:
            raise VolunteerError("没有这个任务。")
        except NoticeError:  # what the old boundary would have needed
            pytest.fail("a VolunteerError is not a NoticeError")
    assert str(caught.value) == "没有这个任务。"


def _request(accept="text/html"):
    request = RequestFactory().post("/somewhere/", HTTP_ACCEPT=accept,
                                    HTTP_REFERER="http://testserver/back/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _middleware():
    return RefusedMiddleware(lambda request: None)


def test_a_forbidden_refusal_a_view_lets_go_is_a_403_with_its_words():
    with pytest.raises(PermissionDenied) as caught:
        _middleware().process_exception(_request(), NoticeError("您不能审核这条通知。",
                                                                forbidden=True))
    assert str(caught.value) == "您不能审核这条通知。"


def test_any_other_refusal_is_a_400_as_json_for_forms_js():
    response = _middleware().process_exception(
        _request("application/json"), RegisterError("这个门牌号已经有人申请了。"))
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["ok"] is False and body["message"] == "这个门牌号已经有人申请了。"


def test_and_without_javascript_the_words_are_shown_on_the_page_they_came_from():
    request = _request()
    response = _middleware().process_exception(request, PatrolError("请选择类别。"))
    assert response.status_code == 303 and response["Location"] == "http://testserver/back/"
    assert [str(m) for m in request._messages] == ["请选择类别。"]


def test_other_exceptions_are_left_alone():
    assert _middleware().process_exception(_request(), ValueError("x")) is None
