"""Triage pages: the rule editor with a live preview, the accuracy view, the ticket panel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bihuan.accounts.views import signed_in_user
from bihuan.core.views import domain_errors
from bihuan.tickets.choices import Emotion, Priority, TicketType
from bihuan.tickets.models import Category
from bihuan.triage import queries, services
from bihuan.triage.forms import RuleForm
from bihuan.triage.models import TriageRule


def _value_hints() -> dict[str, list[tuple[str, str]]]:
    return {
        "category": [(str(c.pk), str(c)) for c in Category.objects.select_related("parent")],
        "kind": [(str(v), str(label)) for v, label in TicketType.choices],
        "urgency": [(str(v), str(label)) for v, label in Priority.choices],
        "emotion": [(str(v), str(label)) for v, label in Emotion.choices],
    }


@login_required
@require_GET
@domain_errors
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(queries.list_rules(signed_in_user(request)))
    return render(request, "triage/rules.html", {"rules": rules, "hints": _value_hints()})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Edit (or create) a rule; ``action=preview`` shows how recent tickets would be
    classified under the edited rule, before anything is saved."""
    user = signed_in_user(request)
    rule: TriageRule | None = queries.get_rule(user, rule_id) if rule_id else None
    if rule is None:
        queries.list_rules(user)  # admins only
    form = RuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        if request.POST.get("action") == "preview":
            preview = services.preview_rule(data, rule=rule)
            if getattr(request, "htmx", False):
                return render(request, "triage/_preview.html", {"preview": preview, "form": form})
        else:
            saved = services.save_rule(data, actor=user, rule=rule)
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("triage:rules")
    return render(
        request,
        "triage/rule_form.html",
        {"form": form, "rule": rule, "preview": preview, "hints": _value_hints()},
    )


@login_required
@require_GET
@domain_errors
def accuracy(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    rows = queries.accuracy_by_week(user)
    versions = list(queries.list_model_versions(user))
    return render(request, "triage/accuracy.html", {"rows": rows, "versions": versions})


@login_required
@require_GET
@domain_errors
def ticket_panel(request: HttpRequest, number: int) -> HttpResponse:
    """The triage decisions of one ticket, loaded into the ticket page by htmx."""
    decisions = queries.decisions_for_ticket(signed_in_user(request), number)
    return render(request, "triage/_ticket_panel.html", {"decisions": decisions})
