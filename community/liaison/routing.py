from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/console/", consumers.ConsoleConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", consumers.ChatConsumer.as_asgi()),
]
