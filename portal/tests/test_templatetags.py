"""Dates read naturally in both languages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

AT = datetime(2026, 11, 26, 0, 30, tzinfo=ZoneInfo("UTC"))  # 08:30 in Luocheng


def render(text: str, lang: str) -> str:
    with translation.override(lang):
        return Template(text).render(Context({"t": AT}))


def test_short_forms_follow_the_language():
    assert render("{{ t|when }}", "zh-hans") == "11月26日 08:30"
    assert render("{{ t|when }}", "en") == "Nov 26, 08:30"
    assert render("{{ t|day }}", "zh-hans") == "11月26日"
    assert render("{{ t|day }}", "en") == "Nov 26"
    assert render("{{ t|weekday_when }}", "zh-hans") == "11月26日 星期四 08:30"
    assert render("{{ t|weekday_when }}", "en") == "Thursday, Nov 26, 08:30"


def test_long_forms_use_django_names_and_nothing_breaks_on_empty():
    assert render('{{ t|date:"DATE_FORMAT" }}', "zh-hans") == "2026年11月26日"
    assert render('{{ t|date:"DATE_FORMAT" }}', "en") == "Nov. 26, 2026"
    assert render("{{ missing|when }}", "en") == ""
