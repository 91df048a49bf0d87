"""How an app teaches the access matrix (tests/security/test_access_matrix.py) its routes.

An app whose routes take object ids puts an ``ACCESS = AccessSpec(...)`` in
``bihuan/<app>/tests/access.py``; the matrix collects every installed app's spec, so apps add
routes without editing the shared test. Every route with an object id must be covered by some
spec (or by the matrix's own tables), or ``test_every_route_with_an_object_id_is_covered`` fails.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class AccessSpec:
    # path parameter name → the kind of object it names (a key of the objects built below)
    parameter_kinds: dict[str, str] = field(default_factory=dict)
    # (METHOD, OpenAPI path) → a body valid in itself, so that scope is the only reason to refuse
    api_bodies: dict[tuple[str, str], Any] = field(default_factory=dict)
    # "namespace:url_name" → POST form data, or None for a GET-only page
    web_post_data: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # URL names listed in web_post_data that also answer GET (an edit form)
    get_and_post: frozenset[str] = frozenset()
    # builds objects outside the matrix roles' scope: (org, objects built so far) → {kind: obj}
    make_objects: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None
    # path prefixes of public pages (no staff sign-in) that the app tests in its own matrix
    public_prefixes: tuple[str, ...] = ()
    # app labels whose row counts must not change when a request is refused
    db_apps: frozenset[str] = frozenset()


def collect_specs() -> list[AccessSpec]:
    specs = []
    for config in apps.get_app_configs():
        if not config.name.startswith("bihuan."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.access")
        except ModuleNotFoundError as error:
            if error.name not in {f"{config.name}.tests", f"{config.name}.tests.access"}:
                raise
            continue
        specs.append(module.ACCESS)
    return specs
