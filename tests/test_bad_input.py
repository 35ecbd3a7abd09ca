"""The fifteen inputs that answered 500: each now answers a 4xx with words a person reads.

'²' passes ``str.isdigit()`` and fails ``int()``; twenty digits overflow the
id column; year 1 overflows on its way to UTC. Every one of them is read by
``portal.params`` now, and refused before it reaches the database.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def things(world):
    from community.disputes.services import dispute_open
    from community.liaison.tests.helpers import picked
    from community.open311.services import api_key_issue
    from community.tests import factories as cf

    case = cf.case_in(world, "dispatched")
    dispute = dispute_open(actor=world.worker_a, title="噪音", summary="楼上装修",
                           building=world.building_a)
    conversation = picked(world.resident_a, world.liaison)
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    return {"case": case, "dispute": dispute, "conversation": conversation, "api_key": raw}


# (who, method, url(things), data, the Chinese words the answer must carry)
PORTAL = {
    "similar where=h²": ("resident_a", "get", lambda t: "/cases/similar/", {"where": "h²"},
                         "不是有效的编号"),
    "new building=²": ("resident_a", "get", lambda t: "/cases/new/", {"building": "²"},
                       "不是有效的编号"),
    "new unit=²": ("resident_a", "get", lambda t: "/cases/new/", {"unit": "²"}, "不是有效的编号"),
    "workbench grid=²": ("worker_a", "get", lambda t: "/cases/workbench/", {"grid": "²"},
                         "不是有效的编号"),
    "workbench grid=huge": ("worker_a", "get", lambda t: "/cases/workbench/", {"grid": HUGE},
                            "不是有效的编号"),
    "workbench page=huge": ("worker_a", "get", lambda t: "/cases/workbench/", {"page": HUGE},
                            "之间的整数"),
    "dispute new case=²": ("worker_a", "get", lambda t: "/cases/disputes/new/", {"case": "²"},
                           "不是有效的编号"),
    "dispute new POST case=²": ("worker_a", "post", lambda t: "/cases/disputes/new/",
                                {"case": "²", "title": "吵架", "summary": "邻里"}, "不是有效的编号"),
    "dispute new POST building=²": ("worker_a", "post", lambda t: "/cases/disputes/new/",
                                    {"building": "²", "title": "吵架", "summary": "邻里"},
                                    "不是有效的编号"),
    "dispute mediators=²": ("worker_a", "post",
                            lambda t: reverse("community:dispute_act",
                                              args=[t["dispute"].pk, "mediate"]),
                            {"held_on": "2026-11-01", "mediators": "²", "agreement": "和好"},
                            "不是有效的编号"),
    "dispute held_on=0001-01-01": ("worker_a", "post",
                                   lambda t: reverse("community:dispute_act",
                                                     args=[t["dispute"].pk, "mediate"]),
                                   {"held_on": "0001-01-01", "agreement": "和好"}, "不是有效的日期"),
    "dispute visit=²": ("worker_a", "post",
                        lambda t: reverse("community:dispute_act", args=[t["dispute"].pk, "visit"]),
                        {"visit": "²", "note": "好"}, "不是有效的编号"),
    "chat hand-over to=abc": ("liaison", "post",
                              lambda t: reverse("liaison:hand_over",
                                                args=[t["conversation"].pk]),
                              {"to": "abc"}, "不是有效的编号"),
    "volunteer export from=0001-01-01": ("admin", "get", lambda t: "/volunteer/export/",
                                         {"from": "0001-01-01"}, "不是有效的日期"),
}


@pytest.mark.parametrize("name", sorted(PORTAL))
def test_portal_input_answers_400_in_words(client, world, things, name):
    who, method, url, data, words = PORTAL[name]
    client.force_login(getattr(world, who))
    response = getattr(client, method)(url(things), data)
    assert response.status_code == 400, response.content[:300]
    assert words in response.content.decode()


def test_bad_input_answers_json_to_forms_js(client, world, things):
    client.force_login(world.worker_a)
    response = client.post("/cases/disputes/new/", {"case": "²", "title": "吵架", "summary": "邻"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "不是有效的编号" in response.json()["message"]


OPEN311 = {
    "page=²": ("get", "requests.json", {"page": "²"}, 400, "整数"),
    "page_size=²": ("get", "requests.json", {"page_size": "²"}, 400, "整数"),
    "service_request_id=²": ("get", "requests.json", {"service_request_id": "²"}, 400, "编号"),
    "requests/².json": ("get", "requests/².json", {}, 404, "没有这个诉求"),
    "attribute[building]=²": ("post", "requests.json",
                              {"service_code": "repair", "attribute[building]": "²",
                               "description": "灯坏了"}, 400, "不是有效的楼栋"),
    "updated_after=year 1": ("get", "requests.json", {"updated_after": "0001-01-01T00:00:00"},
                             400, "不是有效的时间"),
}


@pytest.mark.parametrize("name", sorted(OPEN311))
def test_open311_input_answers_a_georeport_error(client, world, things, name):
    from community.tests.factories import category

    category("repair")
    method, path, data, status, words = OPEN311[name]
    response = getattr(client, method)(f"/open311/v2/{path}",
                                       {**data, "api_key": things["api_key"]})
    assert response.status_code == status, response.content[:300]
    [error] = response.json()
    assert error["code"] == status
    assert words in error["description"]


def test_handler400_is_a_friendly_page(client, world):
    client.force_login(world.resident_a)
    response = client.get("/cases/new/", {"building": "²"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求有误" in page and "回到首页" in page and "Traceback" not in page


@pytest.mark.parametrize("url", [
    "/cases/new/?category=repair%00", "/cases/similar/?category=%00",
    "/cases/workbench/?priority=%00x", "/open311/v2/services.json?x=%00",
])
def test_a_nul_character_is_refused_with_a_400_everywhere(client, world, url):
    """PostgreSQL raises on any query that meets a NUL; SQLite let it through."""
    client.force_login(world.worker_a)
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/open311/"):
        assert response.json()[0]["code"] == 400
    else:
        assert "不能识别的字符" in response.content.decode()


def test_a_nul_character_in_a_posted_field_is_refused(client, world):
    client.force_login(world.resident_a)
    response = client.post("/cases/new/", {"category": "repair\x00", "description": "灯坏了"})
    assert response.status_code == 400
    assert "不能识别的字符" in response.content.decode()
