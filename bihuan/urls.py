from django.contrib import admin
from django.urls import include, path

from bihuan.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("bihuan.accounts.urls")),
    path("", include("bihuan.customers.urls")),
    path("", include("bihuan.tickets.urls")),
    path("", include("bihuan.triage.urls")),
    path("", include("bihuan.triage.order_number_urls")),
    path("", include("bihuan.channels.urls")),
    path("", include("bihuan.channels.chat.urls")),
    path("", include("bihuan.channels.messaging.urls")),
    path("", include("bihuan.channels.phone.urls")),
    path("", include("bihuan.sla.urls")),
    path("", include("bihuan.knowledge.urls")),
    path("", include("bihuan.automation.urls")),
    path("", include("bihuan.feedback.urls")),
    path("", include("bihuan.portal.urls")),
    path("", include("bihuan.live.urls")),
]
