from wagtail import hooks

from .viewsets import Open311Group


@hooks.register("register_admin_viewset")
def register_open311():
    return Open311Group()
