"""Chat photos and voice notes: only for the people of the conversation (see ``portal.media``)."""

from portal.media import private

from .models import Message, MessagePhoto

private(MessagePhoto, ("image", "medium", "thumb"), permission="liaison.view_conversation",
        owner=lambda photo: photo.message.conversation, related=("message__conversation",))
private(Message, ("voice",), permission="liaison.view_conversation",
        owner=lambda message: message.conversation, related=("conversation",))
