from django.urls import path

from yiwang.catalog import views

app_name = "catalog"

urlpatterns: list = [
    path("", views.index_view, name="index"),
    path("search/", views.search_view, name="search"),
    path("items/<str:code>/", views.item_view, name="item"),
    path("bundles/", views.bundles_view, name="bundles"),
    path("bundles/<str:code>/", views.bundle_view, name="bundle"),
    path("figures/", views.figures_view, name="figures"),
    path("manage/", views.manage_view, name="manage"),
    path("manage/items/new/", views.item_new_view, name="manage_item_new"),
    path("manage/items/<str:code>/new-version/", views.new_version_view, name="manage_new_version"),
    path("manage/versions/<uuid:version_id>/", views.version_view, name="manage_version"),
    path("manage/versions/<uuid:version_id>/publish/", views.publish_view, name="manage_publish"),
    path("manage/versions/<uuid:version_id>/discard/", views.discard_view, name="manage_discard"),
    path("manage/bundles/new/", views.bundle_edit_view, name="manage_bundle_new"),
    path("manage/bundles/<str:code>/edit/", views.bundle_edit_view, name="manage_bundle_edit"),
    path("manage/bundles/<str:code>/publish/", views.bundle_publish_view, name="manage_bundle_publish"),
    path("manage/import/", views.import_view, name="manage_import"),
    path("manage/imports/<uuid:batch_id>/", views.import_batch_view, name="manage_import_batch"),
    path("manage/imports/<uuid:batch_id>/rejections.csv", views.import_batch_rejections_view,
         name="manage_import_rejections"),
    path("manage/export.<str:fmt>", views.export_view, name="manage_export"),
]
