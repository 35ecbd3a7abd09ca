from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountyConfig(AppConfig):
    """县/乡镇: roll-ups of the communities below a region, drill-down and 督办."""

    name = "community.county"
    label = "county"
    verbose_name = _("县乡统计")

    def ready(self) -> None:
        # The whistle's report-in times feed the roll-ups' column.
        from community.whistle.selectors import report_ins_by_community  # noqa: PLC0415

        from .rollups import REPORT_IN_SOURCES, register_report_ins  # noqa: PLC0415

        if report_ins_by_community not in REPORT_IN_SOURCES:
            register_report_ins(report_ins_by_community)
