import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)  # the figures are refreshed on commit


def test_the_demo_county_sits_above_the_demo_community_and_its_admin_finds_it_from_me():
    from buildings import demo as register
    from buildings.models import Community, Region, RegionAdmin
    from community.county import demo
    from portal.models import User

    register.load()
    demo.load()
    demo.load()
    assert Region.objects.count() == 2 and RegionAdmin.objects.count() == 1
    township = Community.objects.get(name=register.COMMUNITY).township
    assert township.name == "东门镇" and township.parent.name == "罗城仫佬族自治县"

    client = Client()
    client.force_login(User.objects.get(phone="+8613800000009"))
    me = client.get(reverse("portal:me")).content.decode()
    assert reverse("county:index") in me
    assert client.get(reverse("county:index")).url == reverse("county:region",
                                                              args=[township.parent.pk])
    resident = Client()
    resident.force_login(User.objects.get(phone="+8613800000001"))
    assert reverse("county:index") not in resident.get(reverse("portal:me")).content.decode()
