from django.urls import path

from bihuan.automation import views

app_name = "automation"
urlpatterns = [
    path("automation/rules/", views.rule_list, name="rules"),
    path("automation/rules/new/", views.rule_edit, name="rule_new"),
    path("automation/rules/<int:automation_rule_id>/", views.rule_edit, name="rule_edit"),
    path(
        "automation/tickets/<int:number>/complaint/stage/",
        views.complaint_stage,
        name="complaint_stage",
    ),
    path(
        "automation/tickets/<int:number>/complaint/progress/",
        views.complaint_progress,
        name="complaint_progress",
    ),
]
