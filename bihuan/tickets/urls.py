from django.urls import path

from bihuan.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("kanban/", views.kanban, name="kanban"),
    path("kanban/move/", views.kanban_move, name="kanban_move"),
    path("search/", views.search, name="search"),
    path("tickets/mentions/", views.mention_suggestions, name="mention_suggestions"),
    path("tickets/<int:number>/", views.ticket_detail, name="detail"),
    path("tickets/<int:number>/timeline/", views.timeline_older, name="timeline_older"),
    path("tickets/<int:number>/reply/", views.reply, name="reply"),
    path("tickets/<int:number>/note/", views.add_note, name="note"),
    path("tickets/<int:number>/properties/", views.update_properties, name="update"),
    path("tickets/<int:number>/handling/", views.update_handling, name="handling"),
    path("tickets/<int:number>/commitments/", views.add_commitment, name="add_commitment"),
    path(
        "tickets/<int:number>/commitments/<int:commitment_id>/done/",
        views.complete_commitment,
        name="complete_commitment",
    ),
    path(
        "tickets/<int:number>/commitments/<int:commitment_id>/cancel/",
        views.cancel_commitment,
        name="cancel_commitment",
    ),
    path("tickets/<int:number>/record.csv", views.export_record, name="export_record"),
]
