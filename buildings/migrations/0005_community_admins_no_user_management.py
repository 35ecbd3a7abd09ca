"""Community admins do not manage accounts in Wagtail's user admin.

Wagtail lets whoever may change users tick "administrator" (superuser) and
pick groups, which would let a community admin make themselves a superuser.
Accounts are made by signing up; roles are given in the register screens;
superusers keep the user admin.
"""

from django.db import migrations


def remove_user_management(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="社区管理员").first()
    if group is None:
        return
    group.permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="portal",
            codename__in=["add_user", "change_user", "view_user"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [("buildings", "0004_staff_groups")]

    operations = [migrations.RunPython(remove_user_management, migrations.RunPython.noop)]
