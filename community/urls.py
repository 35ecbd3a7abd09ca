from django.urls import path

from . import views, views_disputes

app_name = "community"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("similar/", views.similar, name="similar"),
    path("workbench/", views.workbench, name="workbench"),
    path("disputes/", views_disputes.dispute_list, name="disputes"),
    path("disputes/new/", views_disputes.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/", views_disputes.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/<slug:kind>/", views_disputes.dispute_act, name="dispute_act"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/place/", views.place, name="place"),
    path("<int:pk>/<slug:kind>/", views.act, name="act"),
]
