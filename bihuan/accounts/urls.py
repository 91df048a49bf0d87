from django.contrib.auth.views import LogoutView
from django.urls import path

from bihuan.accounts import views
from bihuan.core import views as core_views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("account/language/", views.set_language, name="set_language"),
    path("account/password/", views.change_password, name="password"),
    path("account/tokens/", views.api_tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("notifications/", core_views.notifications, name="notifications"),
    path("notifications/read/", core_views.mark_notifications_read, name="notifications_read"),
    path(
        "notifications/<int:notification_id>/open/",
        core_views.open_notification,
        name="notification_open",
    ),
]
