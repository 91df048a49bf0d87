"""The feedback reports: collection rate, CSAT, NPS, on-time and conversion rates, overall
and by group, shown to supervisors and exported as CSV and XLSX without running formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.feedback import services
from bihuan.feedback.queries import feedback_report, parse_period
from bihuan.feedback.services import SurveyAnswer, answer_survey, record_csat, survey_token
from bihuan.feedback.tests.conftest import solved_ticket
from bihuan.sla.tests.conftest import Clock, open_ticket
from bihuan.tickets import services as tickets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]


def signed_in(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def split(org: Any) -> None:
    """The complaints queue belongs to 技术部; 王芳 (wangfang@example.com) is a gold customer."""
    org.complaints.department = org.tech
    org.complaints.save(update_fields=["department"])
    now = timezone.now()
    wang = Customer.objects.create(name="王芳", tier="gold", created_at=now, updated_at=now)
    CustomerIdentity.objects.create(
        customer=wang, kind="email", value="wangfang@example.com", is_primary=True, created_at=now
    )


@pytest.fixture
def month(org: Any, clock: Clock) -> None:
    """March 2026: three solved tickets (two rated, 5 and 2), NPS answers 10 and 3, one
    internal flag; the presales queue has a name that reads as a formula."""
    org.presales.name = '=HYPERLINK("http://evil")'
    org.presales.save(update_fields=["name"])
    clock.travel("2026-03-02T10:00+08:00")
    happy = solved_ticket(org)
    unhappy = open_ticket(team=org.complaints)
    tickets.update_ticket(
        unhappy, tickets.TicketChanges(owner=org.other_agent), actor=org.supervisor
    )
    tickets.change_status(unhappy, status="solved", actor=org.other_agent)
    solved_ticket(org)  # never answered
    record_csat(happy, score=5, comment="", source="portal")
    record_csat(unhappy, score=2, comment="太慢", source="portal")
    for score, customer in ((10, happy.customer), (3, unhappy.customer)):
        invitation = services.open_nps_invitation(customer.pk, now=timezone.now())
        assert invitation is not None
        answer_survey(survey_token(invitation), SurveyAnswer(score=score))
    services.flag_internal_feedback(happy, topic="other", summary="退款规则不清楚", actor=org.agent)


def test_the_overall_rates_are_exact(org: Any, clock: Clock, month: None) -> None:
    rows = (
        org.client("supervisor")
        .get("/api/v1/feedback/reports", params={"start": "2026-03-01", "end": "2026-03-31"})
        .json()
    )

    overall = rows[0]
    assert overall["label"] == "整体"
    assert (overall["solved"], overall["collected"], overall["collection_rate"]) == (3, 2, 66.7)
    assert (overall["csat_answers"], overall["csat"], overall["csat_average"]) == (2, 50.0, 3.5)
    assert (overall["nps_answers"], overall["nps"]) == (2, 0.0)
    assert (overall["internal"], overall["conversion_rate"]) == (1, 0.0)
    # CSAT 2 and NPS 3 opened cases due 2026-03-10, neither analysed.
    assert (overall["analyses_due"], overall["analysis_on_time_rate"]) == (2, 0.0)


def test_rates_by_queue_and_by_agent(org: Any, clock: Clock, month: None) -> None:
    client = org.client("supervisor")

    by_team = client.get(
        "/api/v1/feedback/reports",
        params={"start": "2026-03-01", "by": "team", "end": "2026-03-31"},
    ).json()
    by_agent = client.get(
        "/api/v1/feedback/reports",
        params={"start": "2026-03-01", "by": "agent", "end": "2026-03-31"},
    ).json()

    teams = {r["label"]: (r["solved"], r["collected"], r["csat"]) for r in by_team[1:]}
    assert teams["投诉处理组"] == (1, 1, 0.0)
    assert teams['=HYPERLINK("http://evil")'] == (2, 1, 100.0)
    agents = {r["label"]: (r["csat_answers"], r["csat"], r["internal"]) for r in by_agent[1:]}
    assert agents["张伟"] == (1, 100.0, 1)
    assert agents["李娜"] == (1, 0.0, 0)


def test_rates_by_department_and_by_customer_tier(
    org: Any, clock: Clock, split: None, month: None
) -> None:
    """By hand: 王芳 (gold, 售前 → 客服部) has two solved tickets, one rated 5, and NPS 10;
    the internal flag is on her ticket (客服部, no customer); the other customer (standard,
    投诉 → 技术部) rated 2 and gave NPS 3, whose cases are due this month (the NPS one has
    no ticket, hence no department)."""
    client = org.client("supervisor")
    period = {"start": "2026-03-01", "end": "2026-03-31"}

    by_department = client.get("/api/v1/feedback/reports", params={**period, "by": "department"})
    by_tier = client.get("/api/v1/feedback/reports", params={**period, "by": "tier"})
    with CaptureQueriesContext(connection) as queries:
        feedback_report(org.supervisor, parse_period(*period.values()), "department")
    export = signed_in(org.supervisor).get(
        "/feedback/reports/?start=2026-03-01&end=2026-03-31&by=tier&format=csv"
    )

    def figures(row: dict[str, Any]) -> tuple[Any, ...]:
        return (
            row["solved"],
            row["collected"],
            row["csat_answers"],
            row["csat"],
            row["nps_answers"],
            row["nps"],
            row["analyses_due"],
            row["internal"],
        )

    departments = {r["key"]: figures(r) for r in by_department.json()[1:]}
    assert departments == {
        org.service.pk: (2, 1, 1, 100.0, 1, 100.0, 0, 1),
        org.tech.pk: (1, 1, 1, 0.0, 1, -100.0, 1, 0),
        None: (0, 0, 0, None, 0, None, 1, 0),
    }
    tiers = {r["key"]: figures(r) for r in by_tier.json()[1:]}
    assert tiers == {
        "gold": (2, 1, 1, 100.0, 1, 100.0, 0, 0),
        "standard": (1, 1, 1, 0.0, 1, -100.0, 2, 0),
        None: (0, 0, 0, None, 0, None, 0, 1),  # internal feedback is about no customer
    }
    assert by_tier.json()[0]["solved"] == 3
    # Two grouped queries per rate (overall, by group) and one for the names, whatever
    # the number of departments.
    assert len(queries) <= 13
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(line[0] for line in lines[2:]) == ["(none)", "Gold", "Standard"]


def test_exports_defuse_formulas_and_keep_numbers(org: Any, clock: Clock, month: None) -> None:
    client = signed_in(org.supervisor)
    query = "?start=2026-03-01&end=2026-03-31&by=team"

    as_csv = client.get(f"/feedback/reports/{query}&format=csv")
    as_xlsx = client.get(f"/feedback/reports/{query}&format=xlsx")

    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    labels = [line[0] for line in lines]
    assert '\'=HYPERLINK("http://evil")' in labels
    assert lines[1][:4] == ["Overall", "3", "2", "66.7"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    cells = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert '\'=HYPERLINK("http://evil")' in cells
    assert cells["Overall"][1:4] == (3, 2, 66.7)
    assert all(sheet.cell(row=r, column=1).data_type != "f" for r in range(1, sheet.max_row + 1))


def test_only_supervisors_and_admins_see_the_reports(org: Any, clock: Clock) -> None:
    agent_page = signed_in(org.agent).get("/feedback/reports/")
    agent_api = org.client("zhangwei").get("/api/v1/feedback/reports")
    bad_period = org.client("supervisor").get(
        "/api/v1/feedback/reports", params={"start": "2026-03-31", "end": "2026-03-01"}
    )
    page = signed_in(org.supervisor).get("/feedback/reports/?by=channel")

    assert agent_page.status_code == 403
    assert (agent_api.status_code, agent_api.json()["code"]) == (403, "managers_only")
    assert (bad_period.status_code, bad_period.json()["code"]) == (422, "invalid_period")
    assert page.status_code == 200
    assert b'data-testid="report-row"' in page.content
