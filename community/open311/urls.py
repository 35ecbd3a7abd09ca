from django.urls import re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<rid>[^/]+?)" + FMT, views.request_view, name="request"),
    re_path(r"^servicerequestupdates" + FMT, views.updates_view, name="updates"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_view, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
