"""Demo data for the liaison room: duty hours, the roster, quick replies, one conversation.

Idempotent: run after ``buildings.demo``; adds only what is missing.
"""

from __future__ import annotations

from datetime import time

from django.db import transaction

from buildings.models import Community
from portal.models import User

from . import services
from .models import Conversation, DutyHours, DutyRoster, QuickReply, StaffDesk

HOURS = [(d, time(8, 30), time(12, 0)) for d in range(5)] + \
        [(d, time(14, 30), time(17, 30)) for d in range(5)] + [(5, time(9, 0), time(12, 0))]
QUICK = [
    "您好，这里是干群连心室，请问有什么可以帮您？",
    "收到，我们马上联系物业处理，请保持电话畅通。",
    "请拍一张照片发过来，方便我们判断情况。",
    "这个问题我帮您登记为诉求，办理进度可以在“报事”里查看。",
    "感谢您的反映，还有其他需要帮忙的吗？",
]


@transaction.atomic
def load(stdout=None) -> None:
    community = Community.objects.filter(name="仫佬家园").first()
    staff = User.objects.filter(phone="+8613800000005").first()
    resident = User.objects.filter(phone="+8613800000001").first()
    if community is None or staff is None:
        return
    if not DutyHours.objects.filter(community=community).exists():
        DutyHours.objects.bulk_create([DutyHours(community=community, weekday=d, opens=o,
                                                 closes=c) for d, o, c in HOURS])
    if not DutyRoster.objects.filter(community=community).exists():
        DutyRoster.objects.bulk_create([DutyRoster(community=community, staff=staff, weekday=d,
                                                   opens=o, closes=c) for d, o, c in HOURS])
    StaffDesk.objects.get_or_create(staff=staff, defaults={"cap": 5})
    if not QuickReply.objects.filter(community=community).exists():
        QuickReply.objects.bulk_create([QuickReply(community=community, text=t, order=i,
                                                   created_by=staff)
                                        for i, t in enumerate(QUICK)])
    if resident is not None and not Conversation.objects.filter(resident=resident).exists():
        conversation = Conversation.objects.create(community=community, resident=resident)
        services.message_post(conversation=conversation, sender=resident,
                              body="你好，我家楼道的灯晚上不亮了，老人上下楼不方便。",
                              client_key="demo-1")
        services.staff_set_duty(staff=staff, on=True)
        conversation = services.conversation_pick_up(conversation=conversation, staff=staff)
        services.message_post(conversation=conversation, sender=staff,
                              body="罗奶奶您好，收到了，是几单元几楼的灯？", client_key="demo-2")
        services.staff_set_duty(staff=staff, on=False)
    if stdout:
        stdout.write("  干群连心室: duty hours, roster, quick replies, one conversation")
