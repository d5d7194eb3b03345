from django.contrib import admin

from .models import Branch


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


_app_list = admin.site.get_app_list


def get_app_list(request, app_label=None):
    """Seed 3.a: the service credentials sit in the branch administration ("Filialverwaltung"),
    beside the branches, as one section of the admin index."""
    apps = _app_list(request, app_label)
    by_label = {a["app_label"]: a for a in apps}
    if "branches" in by_label and "servicecreds" in by_label:
        by_label["branches"]["models"] += by_label["servicecreds"]["models"]
        apps.remove(by_label["servicecreds"])
    return apps


admin.site.get_app_list = get_app_list
