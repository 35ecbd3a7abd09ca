"""QR posters: who may print them, and that the code opens the report form at the right place."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import segno
from django.urls import reverse

from buildings.tests import factories as f
from buildings.views_posters import qr_data_uri, report_path

pytestmark = pytest.mark.django_db


def building_url(b, units=False):
    return reverse("buildings:poster_building", args=[b.pk]) + ("?units=1" if units else "")


def unit_url(u):
    return reverse("buildings:poster_unit", args=[u.pk])


def test_unit_poster_holds_the_report_form_with_the_place(client, world):
    unit = world.household_a.unit
    client.force_login(world.head_a)
    response = client.get(unit_url(unit))
    assert response.status_code == 200
    expected = f"http://testserver/cases/new/?building={world.building_a.pk}&unit={unit.pk}"
    poster = response.context["posters"][0]
    assert poster["url"] == expected
    # The QR code in the page is segno's encoding of exactly that address.
    assert poster["qr"] == qr_data_uri(expected)
    html = response.content.decode()
    assert f'data-url="{expected.replace("&", "&amp;")}"' in html
    assert poster["qr"].replace("&", "&amp;") in html or poster["qr"] in html
    assert "1单元" in html and "扫码报事" in html
    # What the report form will read.
    query = parse_qs(urlsplit(expected).query)
    assert query == {"building": [str(world.building_a.pk)], "unit": [str(unit.pk)]}


def test_qr_code_encodes_the_text_it_was_given():
    url = "https://jiayuan.example/cases/new/?building=3&unit=7"
    uri = qr_data_uri(url)
    assert uri.startswith("data:image/svg+xml")
    svg = unquote(uri.split(",", 1)[1])
    assert svg.startswith("<svg") and "<path" in svg
    # The same text gives the same symbol; another place gives another one.
    assert uri == qr_data_uri(url)
    assert uri != qr_data_uri(url.replace("unit=7", "unit=8"))
    qr = segno.make(url, error="m", micro=False)
    assert qr.error == "M" and qr.designator.endswith("-M")


def test_report_path_is_the_cases_form(world):
    b = world.building_a
    assert report_path(b) == f"/cases/new/?building={b.pk}"


def test_building_poster_and_all_units_at_once(client, world):
    extra = f.UnitFactory(building=world.building_a, number=2)
    client.force_login(world.worker_a)
    response = client.get(building_url(world.building_a))
    assert response.status_code == 200
    assert [p["url"] for p in response.context["posters"]] == [
        f"http://testserver/cases/new/?building={world.building_a.pk}"]
    response = client.get(building_url(world.building_a, units=True))
    urls = [p["url"] for p in response.context["posters"]]
    assert len(urls) == 3
    assert urls[2].endswith(f"&unit={extra.pk}")
    assert response.content.decode().count('class="poster"') == 3


@pytest.mark.parametrize("who, a, b", [
    ("head_a", 200, 404),
    ("head_b", 404, 200),
    ("worker_a", 200, 404),
    ("worker_b", 404, 200),
    ("worker_top", 200, 200),
    ("admin", 200, 200),
    ("resident_a", 404, 404),
    ("handler", 404, 404),
    ("liaison", 404, 404),
    ("stranger", 404, 404),
])
def test_only_people_responsible_for_the_building_print_its_posters(client, world, who, a, b):
    client.force_login(getattr(world, who))
    unit_a, unit_b = world.household_a.unit, world.household_b.unit
    assert client.get(building_url(world.building_a)).status_code == a
    assert client.get(building_url(world.building_a, units=True)).status_code == a
    assert client.get(unit_url(unit_a)).status_code == a
    assert client.get(building_url(world.building_b)).status_code == b
    assert client.get(unit_url(unit_b)).status_code == b


def test_ids_that_do_not_exist_are_404(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("buildings:poster_building", args=[999999])).status_code == 404
    assert client.get(reverse("buildings:poster_unit", args=[999999])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url in (reverse("buildings:poster_index"), building_url(world.building_a),
                unit_url(world.household_a.unit)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who, expected", [
    ("head_a", {"a"}), ("worker_b", {"b"}), ("worker_top", {"a", "b"}), ("admin", {"a", "b"}),
])
def test_index_lists_the_buildings_of_the_person(client, world, who, expected):
    client.force_login(getattr(world, who))
    response = client.get(reverse("buildings:poster_index"))
    assert response.status_code == 200
    names = {"a": world.building_a.pk, "b": world.building_b.pk}
    assert {b.pk for b in response.context["buildings"]} == {names[k] for k in expected}
    html = response.content.decode()
    for key in expected:
        assert building_url(world.building_a if key == "a" else world.building_b) in html


@pytest.mark.parametrize("who", ["resident_a", "handler", "liaison", "stranger"])
def test_index_is_refused_to_others(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("buildings:poster_index"))
    assert response.status_code == 403


def test_index_queries_do_not_grow_with_buildings(client, world, django_assert_max_num_queries):
    for n in range(10, 30):
        b = f.BuildingFactory(community=world.community, grid=world.grid_a, number=n)
        for u in (1, 2, 3):
            f.UnitFactory(building=b, number=u)
    client.force_login(world.admin)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("buildings:poster_index"))
    assert len(response.context["buildings"]) == 22


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_posters_print_one_a4_page_each(desktop, live_server, world):
    import re

    from tests.browser import axe_violations, shot, sign_in

    f.UnitFactory(building=world.building_a, number=2)
    sign_in(desktop.context, live_server.url, world.head_a)
    desktop.goto(live_server.url + building_url(world.building_a, units=True))
    assert desktop.locator("img.poster-qr").count() == 3
    assert desktop.evaluate(
        "Array.from(document.images).filter(i => i.classList.contains('poster-qr'))"
        ".every(i => i.complete && i.naturalWidth > 0)")
    shot(desktop, "posters-screen")
    assert axe_violations(desktop) == []
    desktop.emulate_media(media="print")
    shot(desktop, "posters-print")
    pdf = desktop.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_poster_index_on_a_phone(phone, live_server, world, large):
    from tests.browser import axe_violations, large_type_problems, shot, sign_in

    if large:
        world.worker_top.large_type = True
        world.worker_top.save(update_fields=["large_type"])
    sign_in(phone.context, live_server.url, world.worker_top)
    phone.goto(live_server.url + reverse("buildings:poster_index"))
    assert phone.locator("main section.card").count() == 2
    shot(phone, f"posters-index-{'large' if large else 'normal'}")
    assert axe_violations(phone) == []
    if large:
        assert large_type_problems(phone) == []
    phone.locator("a", has_text="1单元").first.click()
    phone.wait_for_selector("img.poster-qr")
    assert axe_violations(phone) == []
    if large:
        assert large_type_problems(phone) == []
