import pytest

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_approves_the_demo_volunteer():
    from buildings import demo as register
    from volunteers import demo
    from volunteers.models import ShopItem, Task, Volunteer

    register.load()
    demo.load()
    counts = (Volunteer.objects.count(), Task.objects.count(), ShopItem.objects.count())
    demo.load()
    assert (Volunteer.objects.count(), Task.objects.count(), ShopItem.objects.count()) == counts
    v = Volunteer.objects.get(user__phone="+8613800000004")
    assert v.is_approved and v.public_name == "谢志愿者" and v.grid is not None
    assert Task.objects.filter(households__isnull=False).exists()
