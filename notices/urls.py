from django.urls import path

from . import feeds, views

app_name = "notices"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.PublicNoticesFeed(), name="feed"),
    path("post/", views.post, name="post"),
    path("mine/", views.mine, name="mine"),
    path("review/", views.review_list, name="review_list"),
    path("review/<int:state_id>/", views.review, name="review"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/ack/", views.acknowledge, name="ack"),
    path("<int:pk>/poster/", views.poster, name="poster"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/receipts/", views.receipts, name="receipts"),
    path("<int:pk>/receipts/told/", views.told, name="told"),
    path("<int:pk>/receipts/remind/", views.remind, name="remind"),
    path("<int:pk>/receipts/door-knock/", views.door_knock, name="door_knock"),
]
