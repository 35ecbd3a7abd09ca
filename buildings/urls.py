from django.urls import path

from . import views

app_name = "buildings"
urlpatterns = [
    path("me/claim/", views.claim, name="claim"),
    path("me/claim/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("verify/", views.verify_list, name="verify_list"),
    path("verify/<int:pk>/verify/", views.verify, name="verify"),
    path("verify/<int:pk>/reject/", views.reject, name="reject"),
]
