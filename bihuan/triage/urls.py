from django.urls import path

from bihuan.triage import views

app_name = "triage"
urlpatterns = [
    path("triage/rules/", views.rule_list, name="rules"),
    path("triage/rules/new/", views.rule_edit, name="rule_new"),
    path("triage/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("triage/accuracy/", views.accuracy, name="accuracy"),
    path("triage/tickets/<int:number>/panel/", views.ticket_panel, name="ticket_panel"),
]
