"""Pages and small JSON endpoints of the liaison room. Views check, call a service, return."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from buildings.access import may, require, scope_of
from buildings.choices import ResidencyState
from buildings.models import Residency
from portal import limits
from portal.errors import Refused
from portal.media import send_field
from portal.models import User
from portal.params import BadParameter, parse_id, parse_int
from portal.uploads.base import UploadRejected
from portal.uploads.photos import clean_photo
from portal.uploads.voice import clean_voice

from . import selectors, services
from .choices import ConversationStatus, MessageKind
from .duty import duty_hours_of, in_duty_hours, next_opening
from .models import Conversation, Message, MessagePhoto, QuickReply


def _conversation_for(request: HttpRequest, pk: int) -> Conversation:
    """The conversation if this person may read it; a forged id is a 404."""
    conversation = get_object_or_404(Conversation.objects.select_related("assignee", "resident"),
                                     pk=pk)
    if not may(request.user, "liaison.view_conversation", conversation):
        raise Http404
    return conversation


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("liaison:console")


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message}, status=status)


# --- resident ----------------------------------------------------------------


@login_required
def chat(request: HttpRequest) -> HttpResponse:
    """The resident's chat: their open conversation (started on first visit)."""
    conversation, _created = services.conversation_open(resident=request.user)
    return _chat_page(request, conversation)


def _chat_page(request, conversation):
    hours = duty_hours_of(conversation.community_id)
    opening = None if in_duty_hours(conversation.community_id, hours=hours) else \
        next_opening(conversation.community_id, hours=hours)
    return render(request, "liaison/chat.html", {
        "conversation": conversation,
        "state": selectors.conversation_state(conversation),
        "duty_hours": hours,
        "next_opening": opening,
    })


@login_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "liaison/history.html",
                  {"conversations": list(selectors.history_of(request.user))})


@login_required
def transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """A past conversation, rendered on the server (and read-only)."""
    conversation = _conversation_for(request, pk)
    if conversation.status != ConversationStatus.CLOSED and \
            request.user.pk == conversation.resident_id:
        return redirect("liaison:chat")
    items = selectors.messages_between(conversation, after=0, limit=2000)
    return render(request, "liaison/transcript.html",
                  {"conversation": conversation, "items": items,
                   "state": selectors.conversation_state(conversation)})


@login_required
@require_GET
def messages_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The HTTP way to fill a gap: messages numbered after ``after`` (up to ``upto``)."""
    conversation = _conversation_for(request, pk)
    try:
        after = parse_int(request.GET.get("after"), name="after", default=0)
        upto = parse_int(request.GET.get("upto"), name="upto", default=None)
    except BadParameter as exc:
        return _error(exc.message)
    return JsonResponse({"ok": True, "items": selectors.messages_between(
        conversation, after=after, upto=upto),
        "state": selectors.conversation_state(conversation)})


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> JsonResponse:
    """A photo or a voice note, checked and cleaned before anything is written."""
    conversation = _conversation_for(request, pk)
    client_key = (request.POST.get("client_key") or "")[:64]
    photo = request.FILES.get("photo")
    voice = request.FILES.get("voice")
    # Counted before the file is decoded and cleaned: that is the costly part.
    if photo is not None and (wait := limits.check("chat_photo", request.user.pk)):
        return limits.too_many(request, wait, _("照片发得太多了。"), json=True)
    if photo is None and voice is not None and (
            wait := limits.check("chat_voice", request.user.pk)):
        return limits.too_many(request, wait, _("录音发得太多了。"), json=True)
    try:
        if photo is not None:
            clean = clean_photo(photo)
            message, _c = services.message_post(
                conversation=conversation, sender=request.user, kind=MessageKind.PHOTO,
                body=(request.POST.get("body") or "")[:200], client_key=client_key, photo=clean)
        elif voice is not None:
            message, _c = services.message_post(
                conversation=conversation, sender=request.user, kind=MessageKind.VOICE,
                client_key=client_key, voice=clean_voice(voice))
        else:
            return _error(_("没有收到照片或录音。"))
    except UploadRejected as exc:
        return _error(str(exc))
    except PermissionDenied as exc:
        return _error(str(exc), 403)
    except Refused as exc:  # a ChatError, or the cases app's refusal: the JSON this page reads
        return _error(str(exc), 403 if exc.forbidden else 400)
    return JsonResponse({"ok": True, "seq": message.seq, "client_key": client_key})


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _conversation_for(request, pk)
    stars = parse_int(request.POST.get("stars"), name=_("评分"), max=5, default=0)
    try:
        services.conversation_rate(conversation=conversation, resident=request.user,
                                   stars=stars)
        messages.success(request, _("谢谢您的评价！"))
    except Refused as exc:
        messages.error(request, str(exc))
    return redirect("liaison:transcript", pk=conversation.pk)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _conversation_for(request, pk)
    services.conversation_close(conversation=conversation, actor=request.user)
    if request.user.pk == conversation.resident_id:
        return redirect("liaison:transcript", pk=conversation.pk)
    return redirect("liaison:console")


@login_required
def photo(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    item = get_object_or_404(MessagePhoto.objects.select_related("message__conversation"), pk=pk)
    if not may(request.user, "liaison.view_conversation", item.message.conversation):
        raise Http404
    field = {"l": item.image, "m": item.medium, "t": item.thumb}.get(size)
    if not field:
        raise Http404
    return send_field(request, field)  # nginx sends it behind the topology


@login_required
def voice(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("conversation"), pk=pk)
    if not message.voice or not may(request.user, "liaison.view_conversation",
                                    message.conversation):
        raise Http404
    return send_field(request, message.voice)


# --- staff ---------------------------------------------------------------------


def _console_context(request, conversation=None) -> dict:
    scope = scope_of(request.user)
    desk = services.desk_of(request.user) if scope.is_liaison else None
    communities = set(scope.liaison_community_ids) | set(scope.admin_community_ids)
    context = {
        "lists": selectors.console_lists(request.user),
        "desk": desk,
        "quick_replies": selectors.quick_replies_for(communities),
        "conversation": conversation,
        "is_liaison": scope.is_liaison,
        "roster": selectors.roster_today(communities),
    }
    if conversation is not None:
        context["state"] = selectors.conversation_state(conversation)
        context["colleagues"] = selectors.colleagues_on_duty(conversation.community_id,
                                                             exclude=request.user)
        context["may_pick"] = may(request.user, "liaison.pick_up", conversation)
        context["may_manage"] = may(request.user, "liaison.manage_conversation", conversation)
        context["is_assignee"] = conversation.assignee_id == request.user.pk
        context["resident_name"] = conversation.resident.shown_name
        context["resident_home"] = _verified_home(conversation.resident_id)
    return context


def _verified_home(user_id: int) -> str:
    """The building and unit a resident verifiably lives in ("3栋 2单元"), else ''."""

    residency = (Residency.objects.filter(user_id=user_id, state=ResidencyState.VERIFIED)
                 .select_related("household__unit__building").order_by("pk").first())
    if residency is None:
        return ""
    unit = residency.household.unit
    return _("%(building)s %(unit)s单元") % {"building": unit.building.label,
                                            "unit": unit.number}


def _would_pick_if_on_duty(user, conversation: Conversation) -> bool:
    """Waiting, in the person's liaison room, and only their being off duty stands in the way."""
    return (conversation.status == ConversationStatus.WAITING
            and conversation.assignee_id is None
            and conversation.community_id in scope_of(user).liaison_community_ids
            and not services.desk_of(user).on_duty)


@login_required
def console(request: HttpRequest) -> HttpResponse:
    require(request.user, "liaison.use_console")
    return render(request, "liaison/console.html", _console_context(request))


@login_required
def console_lists(request: HttpRequest) -> HttpResponse:
    """The lists alone, fetched again by the console when its socket says they changed."""
    require(request.user, "liaison.use_console")
    return render(request, "liaison/_console_lists.html", _console_context(request))


@login_required
def console_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "liaison.use_console")
    waiting = Conversation.objects.filter(pk=pk).first()
    if waiting is not None and _would_pick_if_on_duty(request.user, waiting):
        # Tapped from a list or a notification while off duty: say so, with the
        # button that puts them on duty and brings them back here.
        context = _console_context(request)
        context["off_duty_for"] = waiting
        return render(request, "liaison/console.html", context)
    conversation = _conversation_for(request, pk)
    return render(request, "liaison/console.html", _console_context(request, conversation))


def _act(request, fn, **kwargs):
    try:
        return fn(**kwargs)
    except Refused as exc:  # the console shows it and stays where it was
        messages.error(request, str(exc))
    return None


@login_required
@require_POST
def pick_up(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "liaison.use_console")
    conversation = _conversation_for(request, pk)
    _act(request, services.conversation_pick_up, conversation=conversation, staff=request.user)
    return redirect("liaison:console_conversation", pk=pk)


@login_required
@require_POST
def hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _conversation_for(request, pk)
    require(request.user, "liaison.manage_conversation", conversation)
    to_id = parse_id(request.POST.get("to"), name=_("同事"), default=None)
    to = User.objects.filter(pk=to_id).first() if to_id is not None else None
    if to is None:
        messages.error(request, _("请选择同事。"))
        return redirect("liaison:console_conversation", pk=pk)
    if _act(request, services.conversation_hand_over, conversation=conversation,
            staff=request.user, to=to):
        messages.success(request, _("已转交给 %(name)s。") % {"name": to.shown_name})
        return redirect("liaison:console")
    return redirect("liaison:console_conversation", pk=pk)


@login_required
@require_POST
def to_case(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _conversation_for(request, pk)
    require(request.user, "liaison.manage_conversation", conversation)
    case_id = _act(request, services.conversation_to_case, conversation=conversation,
                   staff=request.user)
    if case_id:
        messages.success(request, _("已转为诉求，编号 %(id)s。") % {"id": case_id})
    return redirect("liaison:console_conversation", pk=pk)


@login_required
@require_POST
def duty(request: HttpRequest) -> HttpResponse:
    services.staff_set_duty(staff=request.user, on=request.POST.get("on") == "1")
    return redirect(_next(request))


@login_required
@require_POST
def quick_reply_add(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    community_id = min(scope.liaison_community_ids, default=None)
    if community_id is None:
        raise PermissionDenied(_("只有连心室值班人员可以添加。"))
    _act(request, services.quick_reply_add, staff=request.user, community_id=community_id,
         text=request.POST.get("text", ""))
    return redirect(_next(request))


@login_required
@require_POST
def quick_reply_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(QuickReply, pk=pk)
    services.quick_reply_delete(staff=request.user, reply=reply)
    return redirect(_next(request))
