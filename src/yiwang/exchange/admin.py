from django.contrib import admin

from yiwang.exchange.models import AccessLog, Grant, Objection, Resource, ShareRequest


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "provider_name", "share_type", "version", "status"]
    list_filter = ["share_type", "status", "category"]
    search_fields = ["code", "name"]


@admin.register(ShareRequest)
class ShareRequestAdmin(admin.ModelAdmin):
    list_display = ["number", "resource", "consumer_name", "status", "due_on", "created_at"]
    list_filter = ["status"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["resource", "consumer_name", "valid_until", "revoked_at", "client_id"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "consumer_name", "resource_code", "mode", "result", "purpose"]
    list_filter = ["result", "mode"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject_ref", "status"]
