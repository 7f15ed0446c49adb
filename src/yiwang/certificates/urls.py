from django.urls import path

from yiwang.certificates import views

app_name = "certificates"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("c/<str:identifier>/", views.detail, name="detail"),
    path("c/<str:identifier>/status/", views.change_status, name="change_status"),
    path("c/<str:identifier>/pdf", views.pdf, name="pdf"),
    path("c/<str:identifier>/shares/", views.share_create, name="share_create"),
    path("c/<str:identifier>/shares/<uuid:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("verify/", views.verify, name="verify_form"),
    path("verify/<str:identifier>/", views.verify, name="verify"),
]
