from django.urls import path

from bihuan.triage import views

app_name = "triage"
urlpatterns = [
    path("triage/rules/", views.rule_list, name="rules"),
    path("triage/rules/new/", views.rule_edit, name="rule_new"),
    path("triage/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("triage/accuracy/", views.accuracy, name="accuracy"),
    path("triage/tickets/<int:number>/panel/", views.ticket_panel, name="ticket_panel"),
    path("routing/rules/", views.routing_rule_list, name="routing_rules"),
    path("routing/rules/new/", views.routing_rule_edit, name="routing_rule_new"),
    path(
        "routing/rules/<int:routing_rule_id>/",
        views.routing_rule_edit,
        name="routing_rule_edit",
    ),
    path("routing/skills/", views.skills, name="skills"),
    path("routing/queues/", views.queues, name="queues"),
    path("routing/queues/<int:team_id>/", views.configure_queue, name="configure_queue"),
    path("routing/agents/", views.agents, name="agents"),
    path("routing/availability/", views.set_my_availability, name="set_availability"),
    path(
        "routing/agents/<int:user_id>/availability/",
        views.set_agent_availability,
        name="set_agent_availability",
    ),
    path("routing/agents/<int:user_id>/skills/", views.set_agent_skills, name="set_agent_skills"),
]
