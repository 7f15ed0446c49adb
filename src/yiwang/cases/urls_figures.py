"""办件 pages (figures part)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
