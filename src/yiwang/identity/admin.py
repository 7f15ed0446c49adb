from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from yiwang.identity.models import (
    ClientPolicy,
    Delegation,
    Enterprise,
    EnterpriseMandate,
    Organisation,
    Person,
    Region,
    Role,
    Staff,
    User,
)


@admin.register(User)
class YiwangUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "kind", "elderly_mode", "is_active")
    list_filter = ("kind", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("一网", {"fields": ("kind", "display_name", "elderly_mode")}))


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("name", "code")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sees_personal_data")


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "employee_no", "title", "active")
    list_filter = ("organisation",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Only masked values are shown here; full values go through the audited reveal service."""

    list_display = ("real_name", "id_number_masked", "phone_masked", "assurance_level")
    fields = ("real_name", "id_number_masked", "phone_masked", "gender", "birth_date", "region", "assurance_level")
    readonly_fields = ("id_number_masked", "phone_masked", "gender", "birth_date")
    search_fields = ("real_name",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "legal_rep", "kind")
    search_fields = ("name", "credit_code")


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("principal", "agent", "valid_from", "valid_until", "revoked_at")


@admin.register(EnterpriseMandate)
class EnterpriseMandateAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "person", "valid_from", "valid_until", "revoked_at")


@admin.register(ClientPolicy)
class ClientPolicyAdmin(admin.ModelAdmin):
    list_display = ("application", "organisation", "allowed_scopes")
