"""办件 pages (figures part)."""

from __future__ import annotations

from django.urls import URLPattern, path

from yiwang.cases import views_figures

urlpatterns: list[URLPattern] = [
    path("figures/", views_figures.figures_page, name="figures"),
    path("figures/materials/", views_figures.materials_fragment, name="figures_materials"),
    path("figures/xes", views_figures.xes_download, name="figures_xes"),
]
