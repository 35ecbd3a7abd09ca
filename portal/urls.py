from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import media, views, views_auth, views_privacy

portal_patterns = (
    [
        path("me/", views.me, name="me"),
        path("me/notifications/", views.notifications, name="notifications"),
        path("me/name/", views.set_display_name, name="set_display_name"),
        path("prefs/large-type/", views.set_large_type, name="set_large_type"),
        path("prefs/language/", views.set_language, name="set_language"),
        path("offline/", views.offline, name="offline"),
        path("me/data/", views_privacy.index, name="privacy"),
        path("me/data/export.json", views_privacy.export_json, name="privacy_export_json"),
        path("me/data/export.zip", views_privacy.export_zip, name="privacy_export_zip"),
        path("me/data/delete/", views_privacy.delete, name="privacy_delete"),
        path("me/data/deleted/", views_privacy.deleted, name="privacy_deleted"),
    ],
    "portal",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("healthz", views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # allauth's two code pages, saying how many tries are left (portal.views_auth);
    # before allauth's own, at the same paths and names.
    path("accounts/login/code/confirm/", views_auth.confirm_login_code,
         name="account_confirm_login_code"),
    path("accounts/phone/verify/", views_auth.verify_phone, name="account_verify_phone"),
    path("accounts/", include("allauth.urls")),
    path("", include(portal_patterns)),
    path("", include("buildings.urls")),
    path("cases/", include("community.urls")),
    path("c/", include("community.short_urls")),
    path("open311/v2/", include("community.open311.urls")),
    path("api/", include("community.open311.api_urls")),
    path("chat/", include("community.liaison.urls")),
    path("county/", include("community.county.urls")),
    # gettext() for our own scripts (djangojs catalogue under locale/), cached a day;
    # pages add ?l=<language> so a browser's copy follows the person's language.
    path("jsi18n/", cache_page(86400, key_prefix="jsi18n")(
        JavaScriptCatalog.as_view(packages=["community.liaison"])), name="javascript-catalog"),
    path("notices/", include("notices.urls")),
    path("volunteer/", include("volunteers.urls")),
    path("patrols/", include("buildings.patrols.urls")),
]

# Uploads, each checked against the object that owns it (portal.media).
urlpatterns += media.urlpatterns()

urlpatterns += [path("", include(wagtail_urls))]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler429 = "portal.views.error_429"
