from django.contrib import admin
from django.urls import include, path

from yiwang.api import api

admin.site.site_header = "一网 · 后台管理"
admin.site.site_title = "一网后台"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yiwang.identity.urls")),
    path("catalog/", include("yiwang.catalog.urls")),
    path("ledger/", include("yiwang.ledger.urls")),
    path("exchange/", include("yiwang.exchange.urls")),
    path("", include("yiwang.web.urls")),
]
