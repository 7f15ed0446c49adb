"""办件 pages (applicant part)."""

from __future__ import annotations

from django.urls import URLPattern, path

from yiwang.cases import views_applicant as views

urlpatterns: list[URLPattern] = [
    path("apply/", views.apply, name="apply"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:number>/", views.case_detail, name="case_detail"),
    path("mine/<str:number>/receipt/", views.receipt, name="receipt"),
    path("mine/<str:number>/withdraw/", views.withdraw, name="withdraw"),
    path("mine/<str:number>/material/<str:material_id>/", views.material, name="material"),
    path("mine/<str:number>/corrections/", views.corrections, name="corrections"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]
