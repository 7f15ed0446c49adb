from django.urls import path

from yiwang.feedback import views

app_name = "feedback"
urlpatterns = [
    path("rate/<str:number>/", views.rate, name="rate"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<str:pk>/record/", views.rectification_record, name="rectification_record"),
    path("rectifications/<str:pk>/follow-up/", views.rectification_follow_up, name="rectification_follow_up"),
    path("figures/", views.figures, name="figures"),
]
