from django.urls import path

from . import views

app_name = "community"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("similar/", views.similar, name="similar"),
    path("workbench/", views.workbench, name="workbench"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:kind>/", views.act, name="act"),
]
