from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from yiwang.kernel import calendar
from yiwang.kernel.models import (
    AuditEntry,
    CalendarYear,
    Holiday,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    search_fields = ("name",)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        warning = calendar.missing_years_warning()
        if warning:
            self.message_user(request, warning, level="warning")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        calendar.invalidate()

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        super().delete_model(request, obj)
        calendar.invalidate()


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "confirmed", "note")

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        warning = calendar.missing_years_warning()
        if warning:
            self.message_user(request, warning, level="warning")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        calendar.invalidate()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "on_behalf_of", "action", "object_type", "object_id", "request_id")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label", "request_id")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "type", "source", "subject", "dispatched_at")
    list_filter = ("type",)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_error",
    )
    list_filter = ("status",)
    actions = ["retry_now"]

    @admin.action(description="立即重新投递（重置重试次数）")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = queryset.exclude(status=WebhookDelivery.Status.DELIVERED).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"已安排 {count} 条投递立即重试")
