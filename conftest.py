"""Fixtures shared by every test: a small organisation built through the real services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from _pytest.nodeid import NodeId
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.accounts.services import create_api_token
from bihuan.testing.asgi_client import AsgiClient
from bihuan.testing.factories import make_department, make_team, make_user

# Property tests: a small profile in CI (2 cores, the whole suite well under 15 minutes), a
# larger one on a developer's machine (HYPOTHESIS_PROFILE=thorough for a long run). Database
# fixtures are function-scoped, so that health check is off.
_common = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
hypothesis_settings.register_profile("ci", max_examples=25, **_common)  # type: ignore[arg-type]
hypothesis_settings.register_profile("dev", max_examples=60, **_common)  # type: ignore[arg-type]
hypothesis_settings.register_profile("thorough", max_examples=1000, **_common)  # type: ignore[arg-type]
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


class _MarkBrowserTests:
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """A test that opens the browser is a ``browser`` test, marked or not; marked before
        ``-m`` picks (the PostgreSQL pass leaves them to the SQLite pass)."""
        for item in items:
            uses_browser = "browser" in getattr(item, "fixturenames", ())
            if uses_browser and not item.get_closest_marker("browser"):
                item.add_marker(pytest.mark.browser)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_MarkBrowserTests(), "bihuan-mark-browser-tests")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` honour ``xdist_group`` marks again under pytest 9.

    pytest-xdist 3.8 sends a group to one worker by appending ``@group`` to ``item._nodeid``;
    pytest 9 keeps a node's id in ``item._id``, so the suffix was lost and every group was
    spread over both workers (the demo, a load of tens of seconds, was loaded on each)."""
    if not getattr(config.option, "loadgroup", False):
        return
    # Longest first: xdist hands out tests in collection order (the largest groups first), so
    # a long test collected last (tests/ comes after bihuan/) kept one worker busy while the
    # other had finished. The browser journeys and these modules are the long ones.
    items.sort(key=lambda item: not _runs_long(item))
    for item in items:
        names = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)


RUN_FIRST = (
    "tests/security/test_access_matrix.py",
    "bihuan/channels/tests/test_imap_crash.py",
    "bihuan/triage/tests/test_routing_and_assignment.py",
    "bihuan/tickets/tests/test_view_counts_properties.py",
    "bihuan/tickets/tests/test_loop_rules.py",
)


def _runs_long(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or item.nodeid.startswith(RUN_FIRST)


@dataclass
class Org:
    """Two departments, two queues, one user of each role, each with an API token."""

    service: Department
    tech: Department
    presales: Team
    complaints: Team
    admin: User
    supervisor: User
    agent: User
    other_agent: User
    tech_member: User
    tech_head: User
    advisor: User
    tokens: dict[str, str]

    def client(self, username: str | None) -> AsgiClient:
        return AsgiClient(self.tokens[username] if username else None)


@pytest.fixture
def org(db: None) -> Org:
    service = make_department("客服部")
    tech = make_department("技术部")
    presales = make_team(service, "售前咨询组")
    complaints = make_team(service, "投诉处理组")
    admin = make_user(Role.ADMIN, username="admin", department=service)
    supervisor = make_user(Role.SUPERVISOR, username="supervisor", department=service)
    agent = make_user(
        Role.AGENT, username="zhangwei", display_name="张伟", department=service, teams=[presales]
    )
    other_agent = make_user(
        Role.AGENT, username="lina", display_name="李娜", department=service, teams=[complaints]
    )
    tech_member = make_user(Role.DEPARTMENT_MEMBER, username="wangqiang", department=tech)
    tech_head = make_user(Role.DEPARTMENT_MEMBER, username="chenjie", department=tech)
    tech.head = tech_head
    tech.save(update_fields=["head"])
    advisor = make_user(Role.ADVISOR, username="liuyang", department=service)
    users = [admin, supervisor, agent, other_agent, tech_member, tech_head, advisor]
    tokens = {u.username: create_api_token(u, name="test", actor=u)[1] for u in users}
    return Org(
        service=service,
        tech=tech,
        presales=presales,
        complaints=complaints,
        admin=admin,
        supervisor=supervisor,
        agent=agent,
        other_agent=other_agent,
        tech_member=tech_member,
        tech_head=tech_head,
        advisor=advisor,
        tokens=tokens,
    )


@pytest.fixture(autouse=True)
def _channel_layer_per_event_loop(request: pytest.FixtureRequest) -> None:
    """An async test runs in an event loop of its own, but Channels keeps one layer per
    process: the Redis layer's connections and receive lock, made in an earlier test's loop
    (and left locked when that loop closed mid-receive), then refused this one ("bound to a
    different event loop"), depending on which tests ran before on the worker. Each async
    test starts with a new layer, made in its own loop on first use."""
    if request.node.get_closest_marker("asyncio") is not None:
        from channels.layers import channel_layers

        channel_layers.backends.clear()


_TRANSACTIONAL = {"transactional_db", "live_server", "asgi_server", "django_db_reset_sequences"}


def _was_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    uses = set(getattr(item, "fixturenames", ()))
    return bool(uses & _TRANSACTIONAL) or bool(marker and marker.kwargs.get("transaction"))


def _delete_instead_of_truncate() -> None:
    """Flush PostgreSQL test databases with DELETE, not TRUNCATE.

    After each transactional test Django empties every table with one ``TRUNCATE`` of all
    ~250 tables: PostgreSQL then gives each table, index and TOAST table a new file and takes an
    exclusive lock on all of them, which waits for any connection a server thread of the test
    still holds. That made the flush the slowest step of many tests (seconds each); a test
    leaves a few rows in a few tables, and ``DELETE`` on an empty table costs almost nothing.
    Django's foreign keys on PostgreSQL are ``DEFERRABLE INITIALLY DEFERRED`` and the flush runs
    in one transaction, so the order of the deletes does not matter. Flushes that reset
    sequences or cascade (not what the tests' teardown asks for) keep Django's statement."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: object,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # Table names come from the models (Django quotes them), never from input.
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign,assignment]


if os.environ.get("BIHUAN_TEST_DATABASE_URL", "").startswith("postgres"):
    _delete_instead_of_truncate()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A transactional test ends with a flush of every table, which also removes what the
    migrations seeded (the SLA calendars and policies, the order-number patterns): put it back
    once every fixture is torn down, so that the next test on this worker starts from what
    ``migrate`` gives a real installation (whatever ran before it)."""
    yield
    if nextitem is None or not _was_transactional(item):
        return  # the last test: the test database is gone by now
    from pytest_django.plugin import blocking_manager_key

    from bihuan.testing.seeds import restore_migration_data

    with item.config.stash[blocking_manager_key].unblock():
        restore_migration_data()
