"""The site's routes with the order number pages, until ``bihuan.urls`` includes them."""

from django.urls import include, path

from bihuan.urls import urlpatterns as site

urlpatterns = [*site, path("", include("bihuan.triage.order_number_urls"))]
