from django.db import models
from django.utils.translation import gettext_lazy as _


class VolunteerState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class Skill(models.TextChoices):
    ELDERLY = "elderly", _("助老陪护")
    REPAIR = "repair", _("简单维修")
    CLEANING = "cleaning", _("环境清洁")
    TUTORING = "tutoring", _("课业辅导")
    MEDICAL = "medical", _("医疗护理")
    MULAO = "mulao", _("仫佬语翻译")
    DRIVING = "driving", _("驾驶")
    EVENT = "event", _("活动组织")
    PHONE_HELP = "phone_help", _("手机使用指导")


class FreeTime(models.TextChoices):
    WEEKDAY_DAY = "weekday_day", _("工作日白天")
    WEEKDAY_EVENING = "weekday_evening", _("工作日晚上")
    WEEKEND = "weekend", _("周末")
    ANY = "any", _("随时")


class TaskKind(models.TextChoices):
    GENERAL = "general", _("社区服务")
    ELDERLY = "elderly", _("助老帮扶")
    CLEANING = "cleaning", _("环境整治")
    REPAIR = "repair", _("便民维修")
    EVENT = "event", _("活动协助")
    DOOR_KNOCK = "door_knock", _("上门告知")
    CASE = "case", _("诉求协办")


class TaskState(models.TextChoices):
    OPEN = "open", _("招募中")
    FINISHED = "finished", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ClaimState(models.TextChoices):
    PENDING = "pending", _("待审核")
    OFFERED = "offered", _("候补递补，待确认")
    HELD = "held", _("已报名")
    WAITLISTED = "waitlisted", _("候补中")
    WITHDRAWN = "withdrawn", _("已退出")
    DECLINED = "declined", _("未通过")
    LAPSED = "lapsed", _("递补已过期")
    CANCELLED = "cancelled", _("任务取消")


# A claim in one of these states takes one of the task's places.
PLACE_STATES = (ClaimState.PENDING, ClaimState.OFFERED, ClaimState.HELD)
# A volunteer has at most one claim in these states per task (a double tap makes one).
LIVE_STATES = (*PLACE_STATES, ClaimState.WAITLISTED)


class EntryKind(models.TextChoices):
    SERVICE = "service", _("志愿服务")
    CORRECTION = "correction", _("更正")
    REDEEM = "redeem", _("兑换")
    REFUND = "refund", _("兑换退回")


class RedemptionState(models.TextChoices):
    RESERVED = "reserved", _("待领取")
    COLLECTED = "collected", _("已领取")
    CANCELLED = "cancelled", _("已取消")
