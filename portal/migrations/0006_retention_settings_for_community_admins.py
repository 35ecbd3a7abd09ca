"""The community admins (group 社区管理员) may read and change the retention setting."""

from django.db import migrations

COMMUNITY_ADMINS = "社区管理员"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    admins, _ = Group.objects.get_or_create(name=COMMUNITY_ADMINS)
    content_type, _ = ContentType.objects.get_or_create(app_label="portal",
                                                        model="retentionsettings")
    for action in ("change", "view"):
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"{action}_retentionsettings",
            defaults={"name": f"Can {action} retention settings"},
        )
        admins.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_privacy"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
