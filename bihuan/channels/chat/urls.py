from django.urls import URLPattern, URLResolver, path

from bihuan.channels.chat import views

app_name = "chat"
urlpatterns: list[URLPattern | URLResolver] = [
    path("chat/widgets/", views.widget_list, name="widgets"),
    path("chat/widgets/new/", views.widget_edit, name="widget_new"),
    path("chat/widgets/<int:widget_id>/", views.widget_edit, name="widget"),
    path("chat/widgets/<int:widget_id>/key/", views.replace_key, name="replace_key"),
    path("chat/demo/", views.demo, name="demo"),
]
