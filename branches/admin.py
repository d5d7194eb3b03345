from django.contrib import admin

from .models import Branch
from .scope import BranchScopedAdmin


@admin.register(Branch)
class BranchAdmin(BranchScopedAdmin, admin.ModelAdmin):
    """A branch manager sees the branches they manage; only a superuser adds branches (B1)."""

    branch_field = "pk"
    list_display = ["name", "code", "timezone", "conflict_policy", "privacy", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["managers"]

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def get_readonly_fields(self, request, obj=None):
        """Who administers a branch is decided by a superuser, never by the branch's own managers."""
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "managers"]


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
