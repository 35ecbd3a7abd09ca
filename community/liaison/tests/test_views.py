"""The pages: the resident's chat, history, transcript, the staff console, and forged ids."""

from django.urls import reverse

from community.liaison import services
from community.liaison.models import Conversation
from community.liaison.tests.helpers import on_duty, picked, waiting


def test_the_chat_page_opens_a_conversation_once(client, world):
    client.force_login(world.resident_a)
    r = client.get(reverse("liaison:chat"))
    assert r.status_code == 200
    assert b'id="chat"' in r.content and b"data-me=\"resident\"" in r.content
    client.get(reverse("liaison:chat"))
    assert Conversation.objects.filter(resident=world.resident_a).count() == 1


def test_chat_is_on_home_and_me(client, world):
    from portal.site import ensure_home_page

    ensure_home_page()
    client.force_login(world.resident_a)
    assert reverse("liaison:chat").encode() in client.get("/").content
    me = client.get(reverse("portal:me")).content
    assert reverse("liaison:history").encode() in me
    assert reverse("liaison:console").encode() not in me
    client.force_login(world.liaison)
    assert reverse("liaison:console").encode() in client.get(reverse("portal:me")).content


def test_forged_ids_look_like_nothing(client, world):
    c = picked(world.resident_a, world.liaison)
    for user in (world.resident_b, world.worker_a, world.head_a):
        client.force_login(user)
        for name in ("liaison:transcript", "liaison:messages"):
            assert client.get(reverse(name, args=[c.pk])).status_code == 404, (user, name)
        assert client.post(reverse("liaison:upload", args=[c.pk])).status_code == 404
        assert client.post(reverse("liaison:rate", args=[c.pk]), {"stars": 1}).status_code == 404
    client.force_login(world.resident_b)
    assert client.get(reverse("liaison:console")).status_code == 403


def test_messages_endpoint_fills_a_gap(client, world):
    c = picked(world.resident_a, world.liaison)
    for i in range(3):
        services.message_post(conversation=c, sender=world.liaison, body=f"r{i}")
    client.force_login(world.resident_a)
    data = client.get(reverse("liaison:messages", args=[c.pk]),
                      {"after": 2, "upto": 4}).json()
    assert [m["seq"] for m in data["items"]] == [3, 4]


def test_console_lists_waiting_and_mine_with_unread(client, world, django_assert_max_num_queries):
    from buildings.tests.factories import HouseholdFactory, resident_of

    picked(world.resident_a, world.liaison)
    for n in range(5):
        waiting(resident_of(HouseholdFactory(unit=world.household_b.unit, number=f"2{n}",
                                             floor=2)), text=f"问题{n}")
    on_duty(world.liaison)
    client.force_login(world.liaison)
    with django_assert_max_num_queries(14):
        r = client.get(reverse("liaison:console"))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("已等") == 5
    assert "1 条未读" in html


def test_pick_up_from_the_console(client, world):
    c = waiting(world.resident_a)
    on_duty(world.liaison)
    client.force_login(world.liaison)
    r = client.post(reverse("liaison:pick_up", args=[c.pk]))
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.assignee_id == world.liaison.pk
    page = client.get(reverse("liaison:console_conversation", args=[c.pk])).content.decode()
    assert 'data-me="staff"' in page and "转为诉求" in page


def test_photo_upload_is_cleaned_and_private(client, world):
    from community.tests.factories import jpeg

    c = picked(world.resident_a, world.liaison)
    client.force_login(world.resident_a)
    r = client.post(reverse("liaison:upload", args=[c.pk]),
                    {"photo": jpeg(), "client_key": "ph-1"})
    assert r.status_code == 200, r.content
    again = client.post(reverse("liaison:upload", args=[c.pk]),
                        {"photo": jpeg(), "client_key": "ph-1"})
    assert again.json()["seq"] == r.json()["seq"]
    photo = c.messages.get(client_key="ph-1").photos.get()
    assert client.get(reverse("liaison:photo", args=[photo.pk, "m"])).status_code == 200
    client.force_login(world.resident_b)
    assert client.get(reverse("liaison:photo", args=[photo.pk, "m"])).status_code == 404
    client.force_login(world.resident_a)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(reverse("liaison:upload", args=[c.pk]),
                      {"photo": SimpleUploadedFile("x.jpg", b"not an image"), "client_key": "x"})
    assert bad.status_code == 400 and "照片" in bad.json()["message"]


def test_turn_into_a_case_from_the_console(client, world):
    from community.tests.factories import category

    category()
    c = picked(world.resident_a, world.liaison)
    client.force_login(world.liaison)
    client.post(reverse("liaison:to_case", args=[c.pk]))
    c.refresh_from_db()
    assert c.case_id
    client.force_login(world.resident_a)
    page = client.get(reverse("liaison:chat")).content.decode()
    assert f"/cases/{c.case_id}/" in page


def test_chat_script_words_come_from_the_javascript_catalogue(client, world):
    from django.conf import settings

    client.force_login(world.resident_a)
    page = client.get(reverse("liaison:chat")).content.decode()
    catalogue = reverse("javascript-catalog")
    assert page.count(f'src="{catalogue}?l=zh-hans"') == 1  # base.html's, not twice
    assert page.index(catalogue) < page.index("liaison/chat.js")  # gettext() exists first
    zh = client.get(catalogue)
    assert zh.status_code == 200 and "javascript" in zh["Content-Type"]
    assert "Hold to talk" not in zh.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get(catalogue).content.decode()
    assert "Hold to talk" in en and "Waiting to send" in en
    assert "max-age=86400" in client.get(catalogue)["Cache-Control"]


def test_unread_counts_have_a_plural_form(client, world):
    from django.conf import settings

    c = picked(world.resident_a, world.liaison)
    for i in range(2):
        services.message_post(conversation=c, sender=world.resident_a, body=f"再说{i}",
                              client_key=f"u{i}")
    client.force_login(world.liaison)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("liaison:console_lists")).content.decode()
    assert "3 unread" in html and "条未读" not in html
