from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountyConfig(AppConfig):
    """县/乡镇: roll-ups of the communities below a region, drill-down and 督办."""

    name = "community.county"
    label = "county"
    verbose_name = _("县乡统计")
