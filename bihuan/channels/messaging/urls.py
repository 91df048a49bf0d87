from django.urls import URLPattern, URLResolver, path

from bihuan.channels.messaging import views

app_name = "messaging"
urlpatterns: list[URLPattern | URLResolver] = [
    path("messaging/files/<str:token>/", views.linked_file, name="file"),
    path("messaging/<str:platform>/<str:callback_key>/", views.callback, name="callback"),
    path("settings/messaging/", views.account_list, name="accounts"),
    path("settings/messaging/new/", views.account_new, name="account_new"),
    path("settings/messaging/<int:account_id>/", views.account_edit, name="account"),
    path("settings/messaging/<int:account_id>/test/", views.account_test, name="account_test"),
]
