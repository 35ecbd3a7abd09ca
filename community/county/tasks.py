"""The county's periodic job: rebuild the summary tables behind its figures."""

from django_tasks import task

from portal.periodic import every

from .rollups import refresh


@every(seconds=10 * 60)
@task()
def refresh_county_figures() -> dict:
    return refresh()
