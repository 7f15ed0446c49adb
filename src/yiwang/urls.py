from django.contrib import admin
from django.urls import include, path, re_path
from oauth2_provider import urls as oauth2_urls

from yiwang.api import api
from yiwang.api import not_found as api_not_found

admin.site.site_header = "一网 · 后台管理"
admin.site.site_title = "一网后台"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("admin/", admin.site.urls),
    # Only the protocol endpoints: client management and dynamic registration stay unmounted
    # (applications are registered by administrators in the back office).
    path("o/", include((oauth2_urls.metadata_urlpatterns + oauth2_urls.base_urlpatterns
                        + oauth2_urls.oidc_urlpatterns, "oauth2_provider"), namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yiwang.identity.urls")),
    path("catalog/", include("yiwang.catalog.urls")),
    path("ledger/", include("yiwang.ledger.urls")),
    path("exchange/", include("yiwang.exchange.urls")),
    path("certificates/", include("yiwang.certificates.urls")),
    path("cases/", include("yiwang.cases.urls")),
    path("feedback/", include("yiwang.feedback.urls")),
    path("", include("yiwang.web.urls")),
]
