from django.urls import path

from bihuan.channels import views
from bihuan.channels.webform import views as webform

app_name = "channels"
urlpatterns = [
    path("mail/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("mail/held/", views.held_mail, name="held"),
    path("mail/inbound/<int:inbound_id>/", views.inbound_detail, name="inbound"),
    path("mail/inbound/<int:inbound_id>/release/", views.release, name="release"),
    path("contact/", webform.contact, name="contact"),
]
