"""Summary tables behind the county's figures, rebuilt by ``rollups.refresh``.

Why summary tables and not live aggregates: the county holds about a million
cases a year. Counting them per community on every page view costs seconds on
PostgreSQL and grows with the data; one row per community and day (142 × 365
≈ 52,000 rows) sums in milliseconds, with a constant number of queries.
Why tables and not a PostgreSQL materialised view: the same code must run on
the embedded SQLite default. The figures lag the cases by at most the
refresh period (``tasks.refresh_county_figures``); the lists behind every
figure are read live.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseDayFigures(models.Model):
    """The cases a community registered on one day, and how they ended up."""

    community = models.ForeignKey("buildings.Community", on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("社区"))
    day = models.DateField(_("登记日期"))
    cases = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    no_rating = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("诉求日统计")
        verbose_name_plural = _("诉求日统计")
        constraints = [models.UniqueConstraint(fields=["community", "day"],
                                               name="case_day_figures_unique")]
        indexes = [models.Index(fields=["day", "community"], name="case_day_figures_day")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day}"


class PatrolFigures(models.Model):
    """One month's patrol coverage of a community: its households, and those visited.

    One row per community and month: the current month for every community, and
    every past month that had visits, so the county's pages can show any month.
    """

    community = models.ForeignKey("buildings.Community", on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("社区"))
    month = models.DateField(_("月份"), help_text=_("该月的第一天"))
    households = models.PositiveIntegerField(default=0)
    visited = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("走访覆盖统计")
        verbose_name_plural = _("走访覆盖统计")
        constraints = [models.UniqueConstraint(fields=["month", "community"],
                                               name="patrol_figures_month_unique")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.month:%Y-%m}"
