"""Registration only: the notices on the home page and in 我的; who gets a notice's documents."""

from wagtail import hooks

from buildings.access import scope_of

from . import selectors, views


@hooks.register("jiayuan_home_sections")
def home_notices(request):
    notices = selectors.home_notices(request.user)
    unread = 0
    if request.user.is_authenticated:
        unread = sum(1 for n in notices if not n.is_read)
    return {"template": "notices/_home.html", "order": 20,
            "context": {"notices": notices, "unread": unread, "L": selectors.item_labels()}}


@hooks.register("jiayuan_me_sections")
def me_waiting(request):
    if not request.user.is_authenticated:
        return None
    scope = scope_of(request.user)
    may_post = scope.is_building_head or scope.is_admin
    may_review = scope.is_grid_worker or scope.is_admin
    if not (scope.household_ids or may_post or may_review):
        return None
    to_review = len(selectors.task_states_for_reviewer(request.user)) if may_review else 0
    return {"template": "notices/_me.html", "order": 20,
            "context": {"waiting": selectors.awaiting_ack(request.user),
                        "may_post": may_post, "may_review": may_review,
                        "to_review": to_review,
                        "L": selectors.item_labels()}}


# After Wagtail's own collection restrictions (order 0): the notices' audience decides.
hooks.register("before_serve_document", views.serve_document, order=100)
