from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """巡网排查: the monthly round of household visits, care flags and village guides."""

    name = "buildings.patrols"
    label = "patrols"
    verbose_name = _("巡网排查")
