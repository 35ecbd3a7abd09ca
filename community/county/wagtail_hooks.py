from wagtail import hooks

from buildings.access import scope_of


@hooks.register("jiayuan_me_sections")
def me_section(request):
    """我的: the way in to the county's figures, for a county or township admin."""
    user = request.user
    if not user.is_authenticated or not scope_of(user).oversee_region_ids:
        return None
    return {"template": "county/me_section.html", "order": 20}
