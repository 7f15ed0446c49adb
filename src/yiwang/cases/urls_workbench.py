"""办件 pages (workbench part): /cases/workbench/…"""

from __future__ import annotations

from django.urls import URLPattern, path

from yiwang.cases import views_workbench as views

urlpatterns: list[URLPattern] = [
    path("workbench/", views.inbox, name="wb_inbox"),
    path("workbench/batch/", views.batch, name="wb_batch"),
    path("workbench/department/", views.department, name="wb_department"),
    path("workbench/department/escalate/", views.escalate, name="wb_escalate"),
    path("workbench/definitions/<str:item_code>/", views.definitions, name="wb_definitions"),
    path("workbench/case/<str:number>/", views.case_detail, name="wb_case"),
    path("workbench/case/<str:number>/reveal/", views.case_reveal, name="wb_reveal"),
    path("workbench/case/<str:number>/action/", views.case_action, name="wb_case_action"),
    path("workbench/case/<str:number>/urge/", views.case_urge, name="wb_urge"),
    path("workbench/case/<str:number>/copy/", views.case_copy, name="wb_copy"),
    path("workbench/case/<str:number>/material/<str:material_id>/", views.material, name="wb_material"),
    path("workbench/item/<str:item_id>/claim/", views.item_claim, name="wb_claim"),
    path("workbench/item/<str:item_id>/act/", views.item_act, name="wb_act"),
    path("workbench/item/<str:item_id>/reassign/", views.item_reassign, name="wb_reassign"),
    path("workbench/item/<str:item_id>/delegate/", views.item_delegate, name="wb_delegate"),
    path("workbench/item/<str:item_id>/return-delegation/", views.item_return_delegation, name="wb_return_delegation"),
]
