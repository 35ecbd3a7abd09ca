"""The staff groups: 社区管理员 (may use the Wagtail admin and manage the register)
and 网格员 (empty for now: other apps add, e.g., notice moderation).

Whether someone is a community admin is decided by their CommunityAdmin row
(``buildings.access.scope_of``); the group carries the Django permissions that
Wagtail's own screens ask for. ``buildings.services.community_admin_grant``
puts people in it; this migration puts in the admins that already exist.
"""

from django.db import migrations

COMMUNITY_ADMINS = "社区管理员"
GRID_WORKERS = "网格员"

ALL = ("add", "change", "delete", "view")
PERMISSIONS = {
    ("wagtailadmin", "admin"): ("access_admin",),
    ("buildings", "community"): ALL,
    ("buildings", "grid"): ALL,
    ("buildings", "building"): ALL,
    ("buildings", "unit"): ALL,
    ("buildings", "household"): ALL,
    ("buildings", "publicplace"): ALL,
    ("buildings", "department"): ALL,
    ("buildings", "buildinghead"): ALL,
    ("buildings", "gridworker"): ALL,
    ("buildings", "departmenthandler"): ALL,
    ("buildings", "liaisonstaff"): ALL,
    ("buildings", "communityadmin"): ALL,
    ("buildings", "residency"): ("change", "view"),
    ("buildings", "registerimport"): ("add", "view"),
    ("portal", "smsmessage"): ("view",),
    ("portal", "auditentry"): ("view",),
    ("portal", "user"): ("add", "change", "view"),
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    CommunityAdmin = apps.get_model("buildings", "CommunityAdmin")

    admins, _ = Group.objects.get_or_create(name=COMMUNITY_ADMINS)
    Group.objects.get_or_create(name=GRID_WORKERS)
    # Permissions are normally made after migrate; make the ones we need now.
    for (app_label, model), actions in PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        for action in actions:
            codename = action if app_label == "wagtailadmin" else f"{action}_{model}"
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=codename,
                defaults={"name": f"Can {action} {model}"},
            )
            admins.permissions.add(permission)
    User = apps.get_model("portal", "User")
    for user in User.objects.filter(
        pk__in=CommunityAdmin.objects.values_list("user_id", flat=True)
    ):
        user.groups.add(admins)


class Migration(migrations.Migration):
    dependencies = [
        ("buildings", "0003_register_import"),
        ("portal", "0004_periodic_run"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
