"""Demo notices for 仫佬家园: a water cut, a power cut, a residents' meeting, anti-fraud
advice and more. Safe to run again (each notice is known by its slug)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from wagtail.rich_text import RichText

from buildings.models import Building, Grid
from portal.models import User

from .choices import Audience, Category
from .models import NoticePage
from .services import ensure_notice_index


def _at(days: int, hour: int):
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _notices() -> list[dict]:
    return [
        dict(slug="demo-water-cut", title="3栋、4栋明天停水通知", category=Category.WATER,
             text=["因供水管道检修，明天上午8点起停水，预计下午6点恢复。",
                   "请各户提前储水。老人独居的，邻居帮忙照看一下。有问题请联系楼栋长。"],
             audience=Audience.BUILDINGS, buildings=[3, 4], pinned=True, urgent=True,
             ack_wanted=True, starts_at=_at(1, 8), ends_at=_at(1, 18), affected=[3, 4]),
        dict(slug="demo-power-cut", title="全社区计划停电（已结束）", category=Category.POWER,
             text=["供电所线路改造，上周六全社区停电，现已恢复供电。"],
             audience=Audience.COMMUNITY, public=True,
             starts_at=_at(-6, 9), ends_at=_at(-6, 17)),
        dict(slug="demo-meeting", title="居民大会：商量楼道停车和垃圾分类", category=Category.MEETING,
             text=["本周六上午9点在社区广场召开居民大会，每户请派一位代表参加。",
                   "会上商量电动车楼道停放、垃圾分类和健身器材维修的事。"],
             audience=Audience.COMMUNITY, public=False, ack_wanted=True,
             starts_at=_at(3, 9), ends_at=_at(3, 11)),
        dict(slug="demo-anti-fraud", title="防诈骗宣传：陌生电话要你转账，一律是诈骗",
             category=Category.SAFETY, pinned=True,
             text=["最近有骗子冒充“搬迁办”“社保局”打电话，让老人转账办补贴。",
                   "政府部门不会电话要求转账。接到这种电话，请挂断，并告诉家人或楼栋长。",
                   "反诈专线：96110。"],
             audience=Audience.COMMUNITY, public=True),
        dict(slug="demo-stairwell-leak", title="3栋2单元楼道漏水维修", category=Category.OTHER,
             text=["3栋2单元五楼楼道漏水严重，物业明天来维修，请大家上下楼注意脚下防滑。"],
             audience=Audience.BUILDINGS, buildings=[3]),
        dict(slug="demo-volunteer-day", title="第一网格志愿服务日：义务理发、量血压",
             category=Category.ACTIVITY,
             text=["下周三上午在社区广场有义务理发、量血压，欢迎老人参加。志愿者可以在“志愿”里报名。"],
             audience=Audience.GRIDS, grids=["G1-1-1"], starts_at=_at(6, 9), ends_at=_at(6, 12)),
        dict(slug="demo-subsidy-policy", title="易地搬迁后续扶持政策问答", category=Category.POLICY,
             text=["就业补贴、技能培训和子女入学的常见问题，都在这里。",
                   "不清楚的，可以到干群连心室当面问，也可以在“报事”里提问。"],
             audience=Audience.COMMUNITY, public=True),
    ]


@transaction.atomic
def load(stdout=None) -> list[NoticePage]:
    index = ensure_notice_index()
    author = (User.objects.filter(phone="+8613800000007").first()
              or User.objects.filter(is_superuser=True).first())
    made = []
    for spec in _notices():
        if NoticePage.objects.filter(slug=spec["slug"]).exists():
            continue
        html = "".join(f"<p>{escape(t)}</p>" for t in spec["text"])
        page = NoticePage(
            title=spec["title"], slug=spec["slug"], category=spec["category"],
            body=[("paragraph", RichText(html))], audience=spec["audience"],
            is_public=spec.get("public", False), pinned=spec.get("pinned", False),
            urgent=spec.get("urgent", False), ack_wanted=spec.get("ack_wanted", False),
            starts_at=spec.get("starts_at"), ends_at=spec.get("ends_at"),
            owner=author, live=False,
        )
        page.audience_buildings = list(Building.objects.filter(number__in=spec.get("buildings", [])))
        page.audience_grids = list(Grid.objects.filter(code__in=spec.get("grids", [])))
        page.affected_buildings = list(Building.objects.filter(number__in=spec.get("affected", [])))
        index.add_child(instance=page)
        # Published through Wagtail, so it is indexed and announced like any other.
        page.save_revision(user=author, log_action=True).publish(user=author)
        made.append(page)
    if stdout:
        stdout.write(f"  notices: {len(made)} new, {NoticePage.objects.count()} in all")
    return made
