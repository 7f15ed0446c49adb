"""Read-only admin views of the catalogue (changes go through the back office and its services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yiwang.catalog.models import Bundle, ImportBatch, ItemVersion, ServiceItem


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(ReadOnly):
    list_display = ("code", "created_at")
    search_fields = ("code",)


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnly):
    list_display = ("name", "version", "status", "department_name", "effective_from", "effective_to")
    list_filter = ("status", "item_type", "level")
    search_fields = ("name", "item__code", "department_name")


@admin.register(Bundle)
class BundleAdmin(ReadOnly):
    list_display = ("code", "name", "status", "lead_department_name", "combined_limit_days")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnly):
    list_display = ("filename", "at", "total", "created", "updated", "unchanged", "rejected")
