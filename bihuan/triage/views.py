"""Triage and routing pages: triage rules and routing rules with a live preview, skills, the
team's availability, the accuracy view, and the ticket's triage panel.

A refusal of the service while saving a form is shown on the form itself, with everything the
admin typed kept (``_keep_typed``); other refusals go through ``domain_errors``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts import queries as accounts_queries
from bihuan.accounts import services as accounts_services
from bihuan.accounts.choices import AssignmentStrategy, Availability
from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.views import MAX_ID, domain_errors, safe_next_url
from bihuan.triage import queries, services
from bihuan.triage.forms import (
    VALUE_FIELDS,
    AgentSkillsForm,
    AvailabilityForm,
    QueueForm,
    RoutingRuleForm,
    RuleForm,
    SkillForm,
)
from bihuan.triage.models import RoutingRule, TriageRule


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# Refusals of the triage services that concern one field of the forms.
ERROR_FIELDS = {
    "empty_patterns": "patterns",
    "too_many": "patterns",
    "too_long": "patterns",
    "invalid_regex": "patterns",
    "no_destination": "team",
    "duplicate_skill": "name",
}


def _keep_typed(form: forms.BaseForm, exc: ValidationFailed) -> None:
    """Show a service's refusal on the form (on the field it names, if any)."""
    field = ERROR_FIELDS.get(exc.code, exc.code.removeprefix("invalid_"))
    if field == "value" and "field" in form.cleaned_data:
        field = VALUE_FIELDS.get(form.cleaned_data["field"], "")
    form.add_error(field if field in form.fields else None, str(exc))


def _check_id(value: int) -> None:
    if value > MAX_ID:
        raise NotFound(_("Rule not found."))


# --- Triage rules ------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = queries.list_rule_rows(signed_in_user(request))
    return render(request, "triage/rules.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Edit (or create) a rule; ``action=preview`` shows how recent tickets would be
    classified under the edited rule, before anything is saved."""
    user = signed_in_user(request)
    if rule_id is not None:
        _check_id(rule_id)
    rule: TriageRule | None = queries.get_rule(user, rule_id) if rule_id else None
    if rule is None:
        queries.list_rules(user)  # admins only
    form = RuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        try:
            if request.POST.get("action") == "preview":
                preview = queries.preview_rows(services.preview_rule(data, rule=rule))
            else:
                saved = services.save_rule(data, actor=user, rule=rule)
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
                return redirect("triage:rules")
        except ValidationFailed as exc:
            _keep_typed(form, exc)
    if _is_htmx(request) and request.method == "POST":
        return render(request, "triage/_preview.html", {"preview": preview, "form": form})
    return render(
        request,
        "triage/rule_form.html",
        {"form": form, "rule": rule, "preview": preview},
        status=422 if form.errors else 200,
    )


# --- Routing rules -----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def routing_rule_list(request: HttpRequest) -> HttpResponse:
    rules = queries.list_routing_rules(signed_in_user(request))
    return render(request, "triage/routing_rules.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def routing_rule_edit(request: HttpRequest, routing_rule_id: int | None = None) -> HttpResponse:
    """Edit (or create) a routing rule; ``action=preview`` shows where recent tickets would go
    with the edited rule, next to where they go now. Nothing is saved before Save."""
    user = signed_in_user(request)
    rule: RoutingRule | None = None
    if routing_rule_id is not None:
        _check_id(routing_rule_id)
        rule = queries.get_routing_rule(user, routing_rule_id)
    else:
        queries.list_routing_rules(user)  # admins only
    form = RoutingRuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        try:
            if request.POST.get("action") == "preview":
                preview = services.preview_routing_rule(data, rule=rule)
            else:
                saved = services.save_routing_rule(data, actor=user, rule=rule)
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
                return redirect("triage:routing_rules")
        except ValidationFailed as exc:
            _keep_typed(form, exc)
    if _is_htmx(request) and request.method == "POST":
        return render(request, "triage/_routing_preview.html", {"preview": preview, "form": form})
    return render(
        request,
        "triage/routing_rule_form.html",
        {"form": form, "rule": rule, "preview": preview},
        status=422 if form.errors else 200,
    )


# --- Skills and availability -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def skills(request: HttpRequest) -> HttpResponse:
    """The skills agents can have (admins add them here and give them on the agents page)."""
    user = signed_in_user(request)
    rows = accounts_queries.list_skills(user)
    form = SkillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            skill = accounts_services.create_skill(name=form.cleaned_data["name"], actor=user)
        except ValidationFailed as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Skill “%(name)s” added.") % {"name": skill.name})
            return redirect("triage:skills")
    holders = queries.skill_holders(rows)
    return render(
        request,
        "triage/skills.html",
        {"rows": [(skill, holders.get(skill.pk, [])) for skill in rows], "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
@domain_errors
def agents(request: HttpRequest) -> HttpResponse:
    """The team's availability (supervisors: their department; admins: everyone)."""
    user = signed_in_user(request)
    rows = accounts_queries.list_managed_agents(user)
    all_skills = accounts_queries.list_skills(user) if user.is_admin else []
    return render(
        request,
        "triage/agents.html",
        {"agents": rows, "availabilities": Availability.choices, "skills": all_skills},
    )


@login_required
@require_POST
@domain_errors
def set_my_availability(request: HttpRequest) -> HttpResponse:
    """The top bar's availability menu: the signed-in agent's own availability."""
    user = signed_in_user(request)
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Unknown availability."), code="invalid_availability")
    changed = accounts_services.set_availability(
        user, availability=form.cleaned_data["availability"], actor=user
    )
    messages.success(
        request,
        _("You are now “%(availability)s”.") % {"availability": changed.get_availability_display()},
    )
    return redirect(safe_next_url(request, reverse("tickets:inbox")))


@login_required
@require_POST
@domain_errors
def set_agent_availability(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    if user_id > MAX_ID:
        raise NotFound(_("User not found."))
    agent = accounts_queries.get_managed_agent(actor, user_id)
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Unknown availability."), code="invalid_availability")
    changed = accounts_services.set_availability(
        agent, availability=form.cleaned_data["availability"], actor=actor
    )
    messages.success(
        request,
        _("%(name)s is now “%(availability)s”.")
        % {"name": changed, "availability": changed.get_availability_display()},
    )
    return redirect("triage:agents")


@login_required
@require_POST
@domain_errors
def set_agent_skills(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    if user_id > MAX_ID or not actor.is_admin:
        raise NotFound(_("User not found."))
    agent = accounts_queries.get_managed_agent(actor, user_id)
    form = AgentSkillsForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose skills from the list."), code="invalid_skills")
    changed = accounts_services.set_agent_skills(
        agent, skills=form.cleaned_data["skills"], actor=actor
    )
    messages.success(request, _("Skills of %(name)s saved.") % {"name": changed})
    return redirect("triage:agents")


@login_required
@require_GET
@domain_errors
def queues(request: HttpRequest) -> HttpResponse:
    """How each queue hands out new tickets (admins): the strategy and the offline release."""
    rows = accounts_queries.list_queues(signed_in_user(request))
    return render(
        request, "triage/queues.html", {"queues": rows, "strategies": AssignmentStrategy.choices}
    )


@login_required
@require_POST
@domain_errors
def configure_queue(request: HttpRequest, team_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    if team_id > MAX_ID:
        raise NotFound(_("Queue not found."))
    team = accounts_queries.get_queue(actor, team_id)
    form = QueueForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(
            _("Choose a strategy and 0 to 1440 minutes."), code="invalid_queue_settings"
        )
    changed = accounts_services.configure_queue(
        team,
        assignment_strategy=form.cleaned_data["assignment_strategy"],
        offline_release_minutes=form.cleaned_data["offline_release_minutes"],
        actor=actor,
    )
    messages.success(request, _("Queue “%(name)s” saved.") % {"name": changed.name})
    return redirect("triage:queues")


# --- Accuracy and the ticket panel -------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def accuracy(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context: dict[str, Any] = {
        "summary": queries.accuracy_summary(user),
        "rows": queries.accuracy_by_week(user),
        "versions": list(queries.list_model_versions(user)),
    }
    return render(request, "triage/accuracy.html", context)


@login_required
@require_GET
@domain_errors
def ticket_panel(request: HttpRequest, number: int) -> HttpResponse:
    """The triage decisions of one ticket, loaded into the ticket page by htmx."""
    if number > MAX_ID:
        raise NotFound(_("Ticket not found."))
    decisions = queries.decisions_for_ticket(signed_in_user(request), number)
    return render(request, "triage/_ticket_panel.html", {"decisions": decisions})
