from django.urls import path

from bihuan.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("knowledge/", views.index, name="index"),
    path("knowledge/new/", views.article_new, name="article_new"),
    path("knowledge/articles/<int:article_id>/", views.article, name="article"),
    path("knowledge/articles/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path(
        "knowledge/articles/<int:article_id>/translate/",
        views.article_translate,
        name="article_translate",
    ),
    path(
        "knowledge/articles/<int:article_id>/status/", views.article_status, name="article_status"
    ),
    path("knowledge/articles/<int:article_id>/vote/", views.article_vote, name="article_vote"),
    path(
        "knowledge/articles/<int:article_id>/review/", views.article_review, name="article_review"
    ),
    path("knowledge/articles/<int:article_id>/versions/", views.versions, name="versions"),
    path(
        "knowledge/articles/<int:article_id>/versions/<int:version_id>/",
        views.version,
        name="version",
    ),
    path(
        "knowledge/articles/<int:article_id>/versions/<int:version_id>/restore/",
        views.version_restore,
        name="version_restore",
    ),
    path("knowledge/review/", views.review, name="review"),
    path("knowledge/usage/", views.usage, name="usage"),
    path("knowledge/policy-changes/new/", views.policy_change, name="policy_change"),
    path("knowledge/synonyms/", views.synonyms, name="synonyms"),
    path(
        "knowledge/synonyms/<int:synonym_id>/delete/",
        views.synonym_delete,
        name="synonym_delete",
    ),
    path("knowledge/categories/", views.categories, name="categories"),
    path("knowledge/auto-answers/", views.auto_answers, name="auto_answers"),
    path("knowledge/templates/", views.templates, name="templates"),
    path("knowledge/templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("knowledge/macros/", views.macros, name="macros"),
    path("knowledge/macros/<int:macro_id>/", views.macro_edit, name="macro_edit"),
    path(
        "knowledge/tickets/<int:number>/macros/<int:macro_id>/apply/",
        views.ticket_apply_macro,
        name="ticket_apply_macro",
    ),
    # The ticket page's panel and composer (the tickets app names these by URL only).
    path("knowledge/tickets/<int:number>/panel/", views.ticket_panel, name="ticket_panel"),
    path(
        "knowledge/tickets/<int:number>/articles/<int:article_id>/insert/",
        views.ticket_insert_article,
        name="ticket_insert_article",
    ),
    path(
        "knowledge/tickets/<int:number>/templates/",
        views.ticket_templates,
        name="ticket_templates",
    ),
    path(
        "knowledge/tickets/<int:number>/templates/<int:template_id>/insert/",
        views.ticket_insert_template,
        name="ticket_insert_template",
    ),
]
