from django.urls import path

from yiwang.identity import views

app_name = "identity"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp_view, name="login_otp"),
    path("login/demo/", views.demo_login_view, name="demo_login"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.me_view, name="me"),
    path("me/data-reads/", views.my_data_reads_view, name="data_reads"),
    path("dev/sms/", views.dev_sms_view, name="dev_sms"),
]
