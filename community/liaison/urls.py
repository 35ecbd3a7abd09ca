from django.urls import path

from . import views

app_name = "liaison"
urlpatterns = [
    path("", views.chat, name="chat"),
    path("history/", views.history, name="history"),
    path("<int:pk>/", views.transcript, name="transcript"),
    path("<int:pk>/messages/", views.messages_json, name="messages"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/close/", views.close, name="close"),
    path("photo/<int:pk>/<str:size>/", views.photo, name="photo"),
    path("voice/<int:pk>/", views.voice, name="voice"),
    path("console/", views.console, name="console"),
    path("console/lists/", views.console_lists, name="console_lists"),
    path("console/duty/", views.duty, name="duty"),
    path("console/quick-replies/", views.quick_reply_add, name="quick_reply_add"),
    path("console/quick-replies/<int:pk>/delete/", views.quick_reply_delete,
         name="quick_reply_delete"),
    path("console/<int:pk>/", views.console_conversation, name="console_conversation"),
    path("console/<int:pk>/pick-up/", views.pick_up, name="pick_up"),
    path("console/<int:pk>/hand-over/", views.hand_over, name="hand_over"),
    path("console/<int:pk>/to-case/", views.to_case, name="to_case"),
]
