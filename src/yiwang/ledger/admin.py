from django.contrib import admin

from yiwang.ledger.models import Checkpoint, Log, Witness, WitnessEvidence, WitnessState


@admin.register(Log)
class LogAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "origin", "hash", "size", "quorum")
    readonly_fields = ("name", "origin", "hash", "size", "epoch", "created_at")


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("log", "size", "published", "published_at")
    list_filter = ("log", "published")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Witness)
class WitnessAdmin(admin.ModelAdmin):
    list_display = ("slug", "department", "name", "active")
    readonly_fields = ("key",)


@admin.register(WitnessState)
class WitnessStateAdmin(admin.ModelAdmin):
    list_display = ("witness", "origin", "size", "updated_at")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WitnessEvidence)
class WitnessEvidenceAdmin(admin.ModelAdmin):
    list_display = ("witness", "origin", "status", "reason", "created_at")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
