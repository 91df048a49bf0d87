"""Routes of the order number patterns pages (included from ``bihuan.urls``)."""

from django.urls import path

from bihuan.triage import order_number_views

app_name = "order_numbers"
urlpatterns = [
    path("triage/order-numbers/", order_number_views.pattern_list, name="patterns"),
    path("triage/order-numbers/new/", order_number_views.pattern_edit, name="pattern_new"),
    path(
        "triage/order-numbers/<int:pattern_id>/",
        order_number_views.pattern_edit,
        name="pattern_edit",
    ),
]
