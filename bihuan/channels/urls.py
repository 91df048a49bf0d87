from django.urls import path

from bihuan.channels import views

app_name = "channels"
urlpatterns = [
    path("mail/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
