from django.urls import path

from yiwang.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("resources/<str:code>/", views.resource_detail, name="resource"),
    path("resources/<str:code>/request/", views.request_submit, name="request_submit"),
    path("workbench/", views.workbench, name="workbench"),
    path("requests/<str:number>/decide/", views.request_decide, name="request_decide"),
    path("grants/<str:grant_id>/credentials/", views.grant_credentials, name="grant_credentials"),
    path("grants/<str:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("console/", views.console, name="console"),
    path("figures/", views.figures, name="figures"),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/<int:access_id>/objection/", views.objection, name="objection"),
    path("objections/<str:objection_id>/answer/", views.objection_answer, name="objection_answer"),
]
