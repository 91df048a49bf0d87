from django.urls import path

from bihuan.tickets import create_views, loop_views, views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("kanban/", views.kanban, name="kanban"),
    path("kanban/move/", views.kanban_move, name="kanban_move"),
    path("search/", views.search, name="search"),
    path("tickets/new/", create_views.new_ticket, name="new"),
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
    path(
        "tickets/<int:number>/commitments/<int:commitment_id>/move/",
        loop_views.move_commitment,
        name="move_commitment",
    ),
    path("tickets/<int:number>/record.csv", views.export_record, name="export_record"),
    path("tasks/", loop_views.task_queue, name="tasks"),
    path("tickets/<int:number>/tasks/", loop_views.open_task, name="open_task"),
    path(
        "tickets/<int:number>/tasks/<int:task_id>/answer/",
        loop_views.answer_task,
        name="answer_task",
    ),
    path("tickets/<int:number>/tasks/<int:task_id>/take/", loop_views.take_task, name="take_task"),
    path(
        "tickets/<int:number>/tasks/<int:task_id>/cancel/",
        loop_views.cancel_task,
        name="cancel_task",
    ),
    path(
        "tickets/<int:number>/call-backs/<int:call_back_id>/",
        loop_views.record_call_back,
        name="record_call_back",
    ),
    path("tickets/<int:number>/close/", loop_views.close_ticket, name="close"),
    path("tickets/<int:number>/merge/", loop_views.merge_ticket, name="merge"),
    path("tickets/<int:number>/links/", loop_views.link_ticket, name="link"),
]
