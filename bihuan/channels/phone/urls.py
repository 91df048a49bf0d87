from django.urls import URLPattern, URLResolver, path

from bihuan.channels.phone import views
from bihuan.channels.phone.choices import SmsProviderKind

app_name = "phone"
urlpatterns: list[URLPattern | URLResolver] = [
    path("phone/cti/events/", views.cti_events, name="cti_events"),
    path("phone/settings/", views.phone_settings, name="settings"),
    path("phone/settings/test-event/", views.cti_test, name="cti_test"),
    path("phone/settings/new-secret/", views.cti_new_secret, name="cti_new_secret"),
    path("phone/tickets/<int:number>/calls/", views.log_ticket_call, name="log_ticket_call"),
    path(
        "phone/customers/<int:customer_id>/calls/",
        views.log_customer_call,
        name="log_customer_call",
    ),
    path("sms/hooks/<str:kind>/inbound/", views.sms_inbound, name="sms_inbound"),
    path("sms/hooks/<str:kind>/receipts/", views.sms_receipts, name="sms_receipts"),
]
# One settings page (and test button) per provider, without an id in the path.
for _kind in SmsProviderKind.values:
    urlpatterns += [
        path(f"sms/settings/{_kind}/", views.sms_provider, {"kind": _kind}, name=f"sms_{_kind}"),
        path(
            f"sms/settings/{_kind}/test/",
            views.sms_test,
            {"kind": _kind},
            name=f"sms_{_kind}_test",
        ),
    ]
