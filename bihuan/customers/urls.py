from django.urls import path

from bihuan.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="detail"),
    path("customers/<int:customer_id>/merge/", views.customer_merge, name="merge"),
    path("customers/<int:customer_id>/unmerge/", views.customer_unmerge, name="unmerge"),
]
