"""The words of the closed loop: states, priorities, channels, event kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已登记")
    TRIAGED = "triaged", _("待转办")
    DISPATCHED = "dispatched", _("已转办")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("待评价")
    CLOSED = "closed", _("已办结")
    DECLINED = "declined", _("不予受理")
    MERGED = "merged", _("已合并")


OPEN_STATES = frozenset(
    {Status.SUBMITTED, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED}
)
# States in which someone still has to act before the deadline.
WORKING_STATES = frozenset(
    {Status.SUBMITTED, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS}
)
FINAL_STATES = frozenset({Status.CLOSED, Status.DECLINED, Status.MERGED})


class Priority(models.TextChoices):
    NORMAL = "normal", _("一般")
    HIGH = "high", _("较急")
    URGENT = "urgent", _("紧急")


class Channel(models.TextChoices):
    SELF = "self", _("居民自助")
    PHONE = "phone", _("电话")
    WALK_IN = "walk_in", _("来访")
    VISIT = "visit", _("上门走访")
    CHAT = "chat", _("连心室在线")
    HOTLINE = "hotline", _("12345热线")
    API = "api", _("外部平台")


class EventKind(models.TextChoices):
    SUBMIT = "submit", _("登记")
    TRIAGE = "triage", _("分类")
    DECLINE = "decline", _("不予受理")
    MERGE = "merge", _("合并")
    DISPATCH = "dispatch", _("转办")
    REASSIGN = "reassign", _("改派")
    ACCEPT = "accept", _("接收")
    HAND_BACK = "hand_back", _("退回")
    RESOLVE = "resolve", _("反馈结果")
    CONFIRM = "confirm", _("确认办结")
    REOPEN = "reopen", _("未解决，重新办理")
    AUTO_CLOSE = "auto_close", _("超期未评价，自动办结")
    COMMENT = "comment", _("补充")
    METOO = "metoo", _("我也遇到")
    URGE = "urge", _("催一催")
    SUPERVISE = "supervise", _("督办意见")
    FOLLOWUP = "followup", _("回访")
    REMIND = "remind", _("到期提醒")
    OVERDUE = "overdue", _("已超期")
    ESCALATE = "escalate", _("催办")
    REPORT = "report", _("通报")
    RESULT_FEEDBACK = "volunteer_result", _("志愿服务结果")
    # 吹哨报到 (community.whistle)
    WHISTLE = "whistle", _("吹哨报到")
    REPORT_IN = "report_in", _("部门报到")
    WHISTLE_RESULT = "whistle_result", _("牵头部门反馈结果")
    WHISTLE_LATE = "whistle_late", _("报到超时")


class Ladder(models.IntegerChoices):
    """How far up the supervision ladder an open case has climbed."""

    NONE = 0, _("正常")
    REMINDED = 1, _("已提醒")
    OVERDUE = 2, _("已超期")
    ESCALATED = 3, _("已催办")
    REPORTED = 4, _("已通报")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("报事照片")
    RESULT = "result", _("办理结果照片")
    COMMENT = "comment", _("补充照片")


ICONS = [
    ("repair", _("维修")),
    ("water", _("水电")),
    ("hygiene", _("环境卫生")),
    ("noise", _("噪音")),
    ("hazard", _("安全隐患")),
    ("dispute", _("邻里纠纷")),
    ("help", _("求助")),
    ("question", _("咨询建议")),
]


class DisputeStage(models.TextChoices):
    """The community's five-step mechanism for disputes (矛盾纠纷)."""

    SCREENING = "screening", _("全面排查")
    FOUND = "found", _("发现问题")
    INTERVENTION = "intervention", _("提前介入")
    MEDIATION = "mediation", _("联合调解")
    FOLLOW_UP = "follow_up", _("定期回访")
    CLOSED = "closed", _("化解归档")
