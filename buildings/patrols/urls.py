from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("", views.round_list, name="round"),
    path("coverage/", views.coverage, name="coverage"),
    path("h/<int:pk>/", views.household, name="household"),
    path("h/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("h/<int:pk>/flags/", views.flags_set, name="flags"),
    path("v/<int:pk>/", views.visit_detail, name="visit"),
    path("v/<int:pk>/case/", views.visit_case, name="visit_case"),
    path("v/<int:pk>/dispute/", views.visit_dispute, name="visit_dispute"),
]
