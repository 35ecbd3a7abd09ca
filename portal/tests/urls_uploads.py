"""A test-only page for forms.js and voice.js (tests/test_browser_uploads.py).

``@pytest.mark.urls("portal.tests.urls_uploads")``: the site's own URLs plus
``/uploads-test/``, a form like the report form, whose view checks the photos
with ``clean_photo`` and the recording with ``clean_voice`` and remembers, in
``RECEIVED``, what arrived (sizes as sent by the phone, the client_key), with
a submission stored once per client_key, as a real service would.
"""

import io
import threading
import time

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_http_methods
from PIL import Image

from portal.forms_json import client_key_from, json_or_redirect
from portal.uploads.base import UploadRejected
from portal.uploads.photos import MAX_PHOTOS, clean_photo
from portal.uploads.voice import clean_voice
from portal.urls import urlpatterns as site_urlpatterns

RECEIVED: list[dict] = []
"""One dict per stored submission (a repeated client_key is not stored again)."""
REQUESTS: list[str] = []
"""The client_key of every POST that reached the view, repeats included."""
FAIL_NEXT: list[int] = []
"""Status codes to answer the next POSTs with before looking at them (a flaky server)."""
_lock = threading.Lock()

PAGE = """{% extends "base.html" %}{% load static %}
{% block title %}上传测试{% endblock %}
{% block extra_head %}<link rel="stylesheet" href="{% static 'portal/forms.css' %}">{% endblock %}
{% block content %}
<h1>报事（测试）</h1>
<div data-jy-outbox hidden></div>
<form method="post" enctype="multipart/form-data" action="/uploads-test/" data-jy-form class="card">
  {% csrf_token %}
  <input type="hidden" name="client_key">
  <label for="id_text">说明</label>
  <textarea id="id_text" name="text"></textarea>
  <label for="id_photos">照片（最多 6 张）</label>
  <input id="id_photos" type="file" name="photos" accept="image/*" multiple data-jy-photos="6">
  <p class="label" id="voice-label">或者说一段话</p>
  <div data-jy-voice data-name="voice" data-max-seconds="60" role="group" aria-labelledby="voice-label"></div>
  <button type="submit" class="btn primary block">提交</button>
</form>
{% endblock %}
{% block extra_body %}{% include "portal/_form_scripts.html" with voice=True %}{% endblock %}
"""

DONE = """{% extends "base.html" %}{% block content %}<h1 id="done">已收到</h1>{% endblock %}"""


def reset() -> None:
    with _lock:
        RECEIVED.clear()
        REQUESTS.clear()
        FAIL_NEXT.clear()


@require_http_methods(["GET", "POST"])
def form_page(request):
    if request.method == "GET":
        return HttpResponse(engines["django"].from_string(PAGE).render({}, request))
    key = client_key_from(request)
    with _lock:
        REQUESTS.append(str(key))
        fail = FAIL_NEXT.pop(0) if FAIL_NEXT else None
    if fail:
        return HttpResponse("flaky", status=fail)
    if request.POST.get("text") == "slow":
        time.sleep(0.8)
    files = request.FILES.getlist("photos")
    sent = []
    try:
        if len(files) > MAX_PHOTOS:
            raise UploadRejected("最多 6 张照片 / At most 6 photos")
        for f in files:
            im = Image.open(io.BytesIO(f.read()))
            sent.append({"size": im.size, "format": im.format, "bytes": f.size,
                         "exif": len(im.getexif())})
        cleaned = [clean_photo(f) for f in files]
        voice = clean_voice(request.FILES["voice"]) if "voice" in request.FILES else None
    except UploadRejected as exc:
        return json_or_redirect(request, {"photos": [str(exc)]}, None)
    if not request.POST.get("text") and not files and voice is None:
        return json_or_redirect(request, {"text": ["请写几句话或者拍张照片 / Please say what happened"]},
                                None)
    with _lock:
        if key is None or all(r["key"] != str(key) for r in RECEIVED):
            RECEIVED.append({
                "key": str(key),
                "text": request.POST.get("text", ""),
                "sent": sent,
                "clean": [(c.width, c.height) for c in cleaned],
                "voice": None if voice is None else {
                    "name": voice.name, "seconds": voice.seconds, "bytes": voice.size,
                    "data": voice.read()},
            })
    return json_or_redirect(request, None, "/uploads-test/done/")


def done(request):
    return HttpResponse(engines["django"].from_string(DONE).render({}, request))


urlpatterns = [
    path("uploads-test/", form_page),
    path("uploads-test/done/", done),
    *site_urlpatterns,
]
