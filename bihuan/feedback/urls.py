from django.urls import path

from bihuan.feedback import views

app_name = "feedback"
urlpatterns = [
    # Public: the customer's survey link (no sign-in).
    path("survey/<str:token>/", views.survey, name="survey"),
    path("survey/<str:token>/opt-out/", views.opt_out, name="opt_out"),
    # The short link of a survey text (SMS): no trailing slash, every character counts.
    path("s/<str:code>", views.short_link, name="short_link"),
    # Staff pages.
    path("feedback/", views.index, name="index"),
    path("feedback/entries/new/", views.record_entry, name="record_entry"),
    path("feedback/entries/<int:entry_id>/", views.entry, name="entry"),
    path("feedback/entries/<int:entry_id>/analysis/", views.record_analysis, name="analysis"),
    path("feedback/entries/<int:entry_id>/assign/", views.assign_analysis, name="assign"),
    path("feedback/entries/<int:entry_id>/change/", views.record_change, name="change"),
    path("feedback/rectifications/", views.rectifications, name="rectifications"),
    path("feedback/rectifications/new/", views.open_rectification, name="open_rectification"),
    path(
        "feedback/rectifications/<int:rectification_id>/",
        views.rectification,
        name="rectification",
    ),
    path(
        "feedback/rectifications/<int:rectification_id>/move/",
        views.move_rectification,
        name="move",
    ),
    path("feedback/reports/", views.reports, name="reports"),
    path("feedback/surveys/", views.campaigns, name="campaigns"),
    path("feedback/surveys/new/", views.create_campaign, name="create_campaign"),
    path("feedback/surveys/delivery/", views.survey_delivery, name="survey_delivery"),
    path("feedback/surveys/<int:survey_id>/", views.campaign, name="campaign"),
    path("feedback/surveys/<int:survey_id>/cancel/", views.cancel_campaign, name="cancel_campaign"),
    path(
        "feedback/customers/<int:customer_id>/surveys/",
        views.customer_opt_out,
        name="customer_opt_out",
    ),
    path("feedback/tickets/<int:number>/internal/", views.flag_internal, name="flag_internal"),
]
