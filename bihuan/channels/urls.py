from django.urls import path

from bihuan.channels import views
from bihuan.channels.webform import views as webform

app_name = "channels"
urlpatterns = [
    path("mail/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("mail/files/<int:mail_file_id>/", views.message_file, name="file"),
    path(
        "mail/files/<int:mail_file_id>/remove/",
        views.remove_reply_file,
        name="remove_reply_file",
    ),
    path("mail/tickets/<int:number>/files/", views.reply_files, name="reply_files"),
    path("mail/tickets/<int:number>/preview/", views.email_preview, name="email_preview"),
    path("mail/notifications/", views.notification_emails, name="notification_emails"),
    path("mail/held/", views.held_mail, name="held"),
    path("mail/inbound/<int:inbound_id>/", views.inbound_detail, name="inbound"),
    path("mail/inbound/<int:inbound_id>/release/", views.release, name="release"),
    path("contact/", webform.contact, name="contact"),
]
