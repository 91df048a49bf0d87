"""The callbacks' tests run against this app's routes alone: a platform calls nothing else."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("bihuan.channels.messaging.urls")),
]
