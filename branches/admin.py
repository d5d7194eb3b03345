from django.contrib import admin

from .models import Branch


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
