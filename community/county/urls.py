from django.urls import path

from . import views

app_name = "county"

urlpatterns = [
    path("", views.index, name="index"),
    path("r/<int:pk>/", views.region, name="region"),
    path("r/<int:pk>/supervise/", views.supervision, name="supervision"),
    path("c/<int:pk>/cases/", views.community_cases, name="community_cases"),
    path("c/<int:pk>/coverage/", views.community_coverage, name="community_coverage"),
]
