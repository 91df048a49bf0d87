from django.urls import URLPattern, URLResolver, path

from bihuan.live import views

app_name = "live"
urlpatterns: list[URLPattern | URLResolver] = [
    path("live/settings/", views.live_settings, name="settings"),
    path("live/unread/", views.unread, name="unread"),
    path(
        "live/tickets/<int:number>/timeline/",
        views.timeline_after,
        name="timeline_after",
    ),
]
