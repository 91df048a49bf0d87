"""Settings for collecting static files in bench runs only: the same manifest the production
storage reads, without the slow compression step (the benchmarks fetch no static file)."""

from bihuan.settings import *  # noqa: F403
from bihuan.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
