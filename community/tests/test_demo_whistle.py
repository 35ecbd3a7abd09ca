"""The demo shows one whistle: two departments summoned, the lead reported in."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_whistle_on_the_dispatched_case():
    from buildings import demo as buildings_demo
    from community import demo
    from community.models import Whistle

    accounts = buildings_demo.load()
    demo.load()
    demo.load()  # a second run adds nothing
    whistle = Whistle.objects.get()
    assert whistle.lead.name == "家园物业" and whistle.blown_by == accounts["grid"]
    rows = {s.department.name: s for s in whistle.summonses.all()}
    assert set(rows) == {"家园物业", "罗城供水公司"}
    assert rows["家园物业"].reported_by == accounts["handler"]
    assert rows["罗城供水公司"].reported_at is None
