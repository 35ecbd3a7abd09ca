from django.urls import path

from . import views, views_posters

app_name = "buildings"
urlpatterns = [
    path("me/claim/", views.claim, name="claim"),
    path("me/claim/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("verify/", views.verify_list, name="verify_list"),
    path("verify/<int:pk>/verify/", views.verify, name="verify"),
    path("verify/<int:pk>/reject/", views.reject, name="reject"),
    path("posters/", views_posters.poster_index, name="poster_index"),
    path("posters/building/<int:pk>/", views_posters.poster_building, name="poster_building"),
    path("posters/unit/<int:pk>/", views_posters.poster_unit, name="poster_unit"),
]
