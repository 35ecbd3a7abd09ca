"""The patrols' demo data."""

import pytest

from buildings.patrols.models import Visit

pytestmark = pytest.mark.django_db


def test_demo_data_loads_twice():
    from buildings import demo as register
    from buildings.patrols import demo
    from buildings.patrols.models import CareFlag, Guide

    register.load()
    demo.load()
    demo.load()
    assert CareFlag.objects.count() == 5 and Guide.objects.count() == 1
    assert Visit.objects.count() == 1
