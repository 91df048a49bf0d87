"""The customer portal under /portal/ (public), and the staff's download of portal files."""

from django.urls import path

from bihuan.portal import views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/sign-in/", views.sign_in, name="sign_in"),
    path("portal/code/", views.verify, name="verify"),
    path("portal/sign-out/", views.sign_out, name="sign_out"),
    path("portal/requests/", views.tickets, name="tickets"),
    path("portal/requests/new/", views.new_request, name="new_request"),
    path("portal/requests/<int:number>/", views.ticket, name="ticket"),
    path("portal/requests/<int:number>/reply/", views.reply, name="reply"),
    path("portal/requests/<int:number>/confirm/", views.confirm, name="confirm"),
    path("portal/requests/<int:number>/not-solved/", views.not_solved, name="not_solved"),
    path("portal/requests/<int:number>/rating/", views.rate, name="rate"),
    path("portal/requests/<int:number>/files/<int:file_id>/", views.file, name="file"),
    path("portal/help/", views.articles, name="articles"),
    path("portal/help/<int:article_id>/", views.article, name="article"),
    path("tickets/<int:number>/portal-files/<int:file_id>/", views.staff_file, name="staff_file"),
]
