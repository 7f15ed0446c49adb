from django.urls import path, re_path
from oauth2_provider import views as oauth2_views

from yiwang.identity import views

app_name = "identity"

urlpatterns = [
    # OpenID Connect discovery and keys at the site root as well as under /o/ (django-oauth-toolkit).
    re_path(r"^\.well-known/openid-configuration/?$", oauth2_views.ConnectDiscoveryInfoView.as_view(),
            name="oidc_discovery"),
    path(".well-known/jwks.json", oauth2_views.JwksInfoView.as_view(), name="oidc_jwks"),
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp_view, name="login_otp"),
    path("login/demo/", views.demo_login_view, name="demo_login"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.me_view, name="me"),
    path("me/data-reads/", views.my_data_reads_view, name="data_reads"),
    path("me/delegations/", views.delegations_view, name="delegations"),
    path("me/acting-for/", views.acting_for_view, name="acting_for"),
    path("me/enterprises/<uuid:enterprise_id>/mandates/", views.mandates_view, name="mandates"),
    path("dev/sms/", views.dev_sms_view, name="dev_sms"),
]
