"""The group "Filialleiter" (B1): what a branch manager may do in the admin and the API.

Which objects they may do it to is the scope rule (branches/scope.py, ``Branch.managers``).
The permission list is a frozen copy of ``branches.scope.MANAGER_PERMISSIONS``.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

GROUP = "Filialleiter"
PERMISSIONS = [
    *(f"scheduler.{action}_{model}" for model in ("appointment", "resource", "employee")
      for action in ("view", "add", "change", "delete")),
    *(f"servicecreds.{action}_servicecredential" for action in ("view", "add", "change", "delete")),
    "scheduler.view_change", "branches.view_branch", "branches.use_api",
]


def create_group(apps, schema_editor):
    # On a fresh database the permissions are only made after all migrations (post_migrate):
    # make them now, the same way, so the group can be filled.
    for label in ("branches", "scheduler", "servicecreds"):
        create_permissions(global_apps.get_app_config(label), apps=apps, verbosity=0,
                           using=schema_editor.connection.alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = Q()
    for perm in PERMISSIONS:
        app_label, codename = perm.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.using(schema_editor.connection.alias).filter(wanted))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("branches", "0003_branch_managers"),
        ("scheduler", "0003_occurrences"),
        ("servicecreds", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
