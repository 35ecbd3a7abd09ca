"""The administrative tree above communities: county (县) → township (乡镇) → community.

A community (village or community, 村/社区) hangs under a township by
``Community.township``; townships hang under the county. Two levels are all
the seed's county has, so a plain parent link does, not a second treebeard
tree. A region admin (县/乡镇管理员) oversees every community below their
region: reads its figures and its cases (residents' data masked) and may add
督办 notes; ``access.Scope.oversee_community_ids`` carries what they reach.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    COUNTY = "county", _("县")
    TOWNSHIP = "township", _("乡镇")


class Region(models.Model):
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("级别"), max_length=10, choices=RegionKind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("上级"))

    class Meta:
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"],
                                               name="region_name_unique")]

    def __str__(self) -> str:
        return self.name


class RegionAdmin(models.Model):
    """县/乡镇管理员: sees the roll-ups and supervises the cases below their region."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("人员"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="admins",
                               verbose_name=_("区域"))
    since = models.DateField(_("任职起"), default=timezone.localdate)

    class Meta:
        verbose_name = _("区域管理员")
        verbose_name_plural = _("区域管理员")
        constraints = [models.UniqueConstraint(fields=["user", "region"],
                                               name="region_admin_unique")]

    def __str__(self) -> str:
        return f"{self.region} 管理员 {self.user}"
