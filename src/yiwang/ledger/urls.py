from django.urls import path

from yiwang.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.index, name="index"),
    path("policy", views.policy, name="policy"),
    path("witness/<slug:slug>/add-checkpoint", views.witness_add_checkpoint, name="witness_add_checkpoint"),
    path("<slug:name>/checkpoint", views.checkpoint, name="checkpoint"),
    path("<slug:name>/bundle/<int:index>", views.bundle, name="bundle"),
    path("<slug:name>/tile/<path:path>", views.tile, name="tile"),
]
