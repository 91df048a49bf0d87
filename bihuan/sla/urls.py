from django.urls import path

from bihuan.sla import views

app_name = "sla"
urlpatterns = [
    path("sla/breaches/", views.breach_board, name="breach_board"),
]
