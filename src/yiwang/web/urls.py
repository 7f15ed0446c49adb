from django.urls import path

from yiwang.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
    path("elderly/", views.toggle_elderly, name="elderly"),
    path("healthz", views.healthz, name="healthz"),
]
