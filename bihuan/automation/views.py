"""Automation pages: the rules (admins) with a preview of the tickets a rule matches now, and
the complaint playbook's forms on the ticket page.

A refusal of the service while saving a form is shown on the form, with what was typed kept;
other refusals go through ``domain_errors``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.automation import queries, services
from bihuan.automation.forms import ProgressForm, RuleForm, StageForm
from bihuan.automation.models import AutomationRule
from bihuan.automation.panels import panel_html
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.views import MAX_ID, domain_errors

# Refusals of the services that concern one field of the forms.
ERROR_FIELDS = {
    "invalid_wait_status": "wait_status",
    "invalid_wait_hours": "wait_hours",
    "invalid_trigger": "trigger",
    "invalid_plan_kind": "plan_kind",
    "invalid_owner": "next_owner",
    "due_in_the_past": "next_due_at",
}


def _keep_typed(form: forms.BaseForm, exc: ValidationFailed) -> None:
    field = ERROR_FIELDS.get(exc.code)
    form.add_error(field if field in form.fields else None, str(exc))


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
@require_GET
@domain_errors
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = queries.list_rules(signed_in_user(request))
    return render(request, "automation/rules.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rule_edit(request: HttpRequest, automation_rule_id: int | None = None) -> HttpResponse:
    """Edit (or create) a rule; ``action=preview`` lists the open tickets it matches now,
    before anything is saved."""
    user = signed_in_user(request)
    rule: AutomationRule | None = None
    if automation_rule_id is not None:
        if automation_rule_id > MAX_ID:
            raise NotFound(_("Rule not found."))
        rule = queries.get_rule(user, automation_rule_id)
    else:
        queries.list_rules(user)  # admins only
    form = RuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        try:
            if request.POST.get("action") == "preview":
                preview = services.preview_rule(data)
            else:
                saved = services.save_rule(data, actor=user, rule=rule)
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
                return redirect("automation:rules")
        except ValidationFailed as exc:
            _keep_typed(form, exc)
    if _is_htmx(request) and request.method == "POST":
        return render(
            request,
            "automation/_preview.html",
            {"preview": preview, "form": form},
            status=422 if form.errors else 200,
        )
    return render(
        request,
        "automation/rule_form.html",
        {"form": form, "rule": rule, "preview": preview},
        status=422 if form.errors else 200,
    )


def _after_complaint_post(
    request: HttpRequest, number: int, form: StageForm | None, *, failed: bool
) -> HttpResponse:
    user = signed_in_user(request)
    ticket, view = queries.get_complaint(user, number)
    if _is_htmx(request):
        return HttpResponse(
            panel_html(request, ticket, view, form=form), status=422 if failed else 200
        )
    return redirect("tickets:detail", number=number)


@login_required
@require_POST
@domain_errors
def complaint_stage(request: HttpRequest, number: int) -> HttpResponse:
    """Finish the complaint's current stage (the panel's form)."""
    user = signed_in_user(request)
    ticket, _view = queries.get_complaint(user, number)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.complete_stage(ticket, form.to_input(), actor=user)
        except ValidationFailed as exc:
            if not _is_htmx(request):
                raise
            _keep_typed(form, exc)
            return _after_complaint_post(request, number, form, failed=True)
        return _after_complaint_post(request, number, None, failed=False)
    if not _is_htmx(request):
        raise ValidationFailed(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return _after_complaint_post(request, number, form, failed=True)


@login_required
@require_POST
@domain_errors
def complaint_progress(request: HttpRequest, number: int) -> HttpResponse:
    """Send the customer a progress update on the complaint."""
    user = signed_in_user(request)
    ticket, _view = queries.get_complaint(user, number)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Write the progress update first."), code="empty")
    services.send_progress_update(ticket, body=form.cleaned_data["body"], actor=user)
    return _after_complaint_post(request, number, None, failed=False)
