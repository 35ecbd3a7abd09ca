"""The demo notices load on top of the demo register, twice without duplicates."""

import pytest

pytestmark = pytest.mark.django_db


def test_demo_notices_load_and_are_searchable():
    from buildings import demo as buildings_demo
    from notices import demo
    from notices.models import NoticePage
    from notices.search import search_notices
    from notices.selectors import visible_notices
    from portal.site import ensure_home_page

    ensure_home_page()
    accounts = buildings_demo.load()
    made = demo.load()
    assert len(made) >= 6
    assert demo.load() == []
    resident = accounts["resident"]  # 罗奶奶, 3栋
    titles = set(visible_notices(resident).values_list("title", flat=True))
    assert "3栋、4栋明天停水通知" in titles and "防诈骗宣传：陌生电话要你转账，一律是诈骗" in titles
    found = search_notices(visible_notices(resident), "停水")
    assert "3栋、4栋明天停水通知" in {n.title for n in found}
    assert NoticePage.objects.filter(pinned=True).exists()
