from django.urls import path

from bihuan.channels import views
from bihuan.channels.webform import views as webform

app_name = "channels"
urlpatterns = [
    path("mail/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("contact/", webform.contact, name="contact"),
]
