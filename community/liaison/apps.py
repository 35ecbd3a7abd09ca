from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    """干群连心室: the live chat between residents and the staff on duty."""

    name = "community.liaison"
    label = "liaison"
    verbose_name = _("干群连心室")
