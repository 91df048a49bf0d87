"""The forms of the automation pages: a rule (conditions and actions as plain fields) and the
complaint playbook's stage and progress forms. The services check everything again."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.automation.choices import ActionType, PlanKind, Recipient, Stage, Trigger
from bihuan.automation.models import AutomationRule
from bihuan.automation.services import SETTABLE_STATUSES, WAIT_STATUSES, RuleInput, StageInput
from bihuan.customers.choices import Tier
from bihuan.knowledge.models import ReplyTemplate
from bihuan.tickets.choices import Channel, Priority, TicketStatus, TicketType
from bihuan.tickets.models import Category

CONDITION_FIELDS = ("kind", "priority", "channel", "category", "tag", "customer_tier", "status")
# The action fields in the order their actions run.
ACTION_FIELDS = (
    ActionType.SET_KIND,
    ActionType.SET_PRIORITY,
    ActionType.SET_QUEUE,
    ActionType.ASSIGN,
    ActionType.ADD_TAG,
    ActionType.SEND_TEMPLATE,
    ActionType.CREATE_TASK,
    ActionType.SET_STATUS,
    ActionType.NOTIFY,
)


def _blank(pairs: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *((str(value), label) for value, label in pairs)]


def _style(form: forms.BaseForm) -> None:
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


def _choices(form: forms.Form, name: str, pairs: list[tuple[str, Any]]) -> None:
    """Fill a select whose options come from the database, with a blank first."""
    cast(forms.ChoiceField, form.fields[name]).choices = [("", "—"), *pairs]


def _owners() -> list[tuple[str, str]]:
    users = User.objects.filter(is_active=True).exclude(role=Role.DEPARTMENT_MEMBER)
    return [("", "—"), *((str(u.pk), str(u)) for u in users.order_by("username"))]


class RuleForm(forms.Form):
    """An automation rule: when, under which conditions, doing what."""

    name = forms.CharField(label=_("Name"), max_length=100)
    trigger = forms.ChoiceField(label=_("When"), choices=Trigger.choices)
    wait_status = forms.ChoiceField(label=_("Status waited in"), required=False)
    wait_hours = forms.IntegerField(label=_("Hours in that status"), required=False, min_value=1)
    kind = forms.ChoiceField(
        label=_("Request type"), required=False, choices=_blank(TicketType.choices)
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_blank(Priority.choices)
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices))
    category = forms.ChoiceField(label=_("Category"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"), required=False, choices=_blank(Tier.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(TicketStatus.choices)
    )
    set_kind = forms.ChoiceField(
        label=_("Set the request type"), required=False, choices=_blank(TicketType.choices)
    )
    set_priority = forms.ChoiceField(
        label=_("Set the priority"), required=False, choices=_blank(Priority.choices)
    )
    set_queue = forms.ChoiceField(label=_("Move to queue"), required=False)
    assign = forms.ChoiceField(label=_("Assign to"), required=False)
    add_tag = forms.CharField(label=_("Add a tag"), required=False, max_length=50)
    send_template = forms.ChoiceField(label=_("Send a reply template"), required=False)
    create_task = forms.ChoiceField(
        label=_("Ask a department (collaboration task)"), required=False
    )
    set_status = forms.ChoiceField(label=_("Set the status"), required=False)
    notify = forms.ChoiceField(label=_("Notify"), required=False, choices=_blank(Recipient.choices))
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10_000, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, instance: AutomationRule | None = None, **kwargs: Any) -> None:
        bound = args[0] if args else kwargs.get("data")
        if instance is not None and bound is None:
            kwargs["initial"] = initial_of(instance)
        super().__init__(*args, **kwargs)
        labels = dict(TicketStatus.choices)
        statuses = [(s, labels[s]) for s in map(str, WAIT_STATUSES)]
        _choices(self, "wait_status", statuses)
        _choices(self, "set_status", [(s, labels[s]) for s in map(str, SETTABLE_STATUSES)])
        categories = Category.objects.select_related("parent")
        _choices(self, "category", [(str(c.pk), str(c)) for c in categories])
        teams = Team.objects.order_by("name")
        _choices(self, "set_queue", [(str(t.pk), t.name) for t in teams])
        _choices(self, "assign", _owners()[1:])
        departments = Department.objects.order_by("name")
        _choices(self, "create_task", [(str(d.pk), d.name) for d in departments])
        templates = ReplyTemplate.objects.filter(owner__isnull=True, is_active=True)
        _choices(self, "send_template", [(str(t.pk), t.title) for t in templates])
        _style(self)

    def to_input(self) -> RuleInput:
        data = self.cleaned_data
        return RuleInput(
            name=data["name"],
            trigger=data["trigger"],
            wait_status=data.get("wait_status") or "",
            wait_hours=data.get("wait_hours"),
            conditions={name: data[name] for name in CONDITION_FIELDS if data.get(name)},
            actions=[
                {"type": str(kind), "value": data[str(kind)]}
                for kind in ACTION_FIELDS
                if data.get(str(kind))
            ],
            is_active=bool(data.get("is_active")),
            position=data.get("position") or 0,
        )


def initial_of(rule: AutomationRule) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": rule.name,
        "trigger": rule.trigger,
        "wait_status": rule.wait_status,
        "wait_hours": rule.wait_hours,
        "position": rule.position,
        "is_active": rule.is_active,
    }
    initial.update({k: str(v) for k, v in rule.conditions.items()})
    initial.update({str(a["type"]): str(a.get("value", "")) for a in rule.actions})
    return initial


class StageForm(forms.Form):
    """Finishing the complaint's current stage (only the stage's own fields are shown)."""

    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    what_where = forms.CharField(
        label=_("What happened, and where"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expectation = forms.CharField(
        label=_("What the customer expects"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    plan_kind = forms.ChoiceField(
        label=_("Kind of plan"), required=False, choices=_blank(PlanKind.choices)
    )
    plan_options = forms.CharField(
        label=_("Options offered"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    execution_note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lesson = forms.CharField(
        label=_("Lesson"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_owner = forms.ChoiceField(label=_("Owner of the next stage"), required=False)
    next_due_at = forms.DateTimeField(
        label=_("Next stage due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, stage: str = "", **kwargs: Any) -> None:
        if stage and not args:
            kwargs.setdefault("initial", {"stage": stage})
        super().__init__(*args, **kwargs)
        _choices(self, "next_owner", _owners()[1:])
        _style(self)

    def to_input(self) -> StageInput:
        data = self.cleaned_data
        owner_id = data.get("next_owner")
        due: datetime | None = data.get("next_due_at")
        if due is not None and timezone.is_naive(due):
            due = timezone.make_aware(due)
        return StageInput(
            stage=data["stage"],
            what_where=data.get("what_where", ""),
            expectation=data.get("expectation", ""),
            plan_kind=data.get("plan_kind", ""),
            plan_options=data.get("plan_options", ""),
            execution_note=data.get("execution_note", ""),
            lesson=data.get("lesson", ""),
            next_owner=User.objects.filter(pk=int(owner_id)).first() if owner_id else None,
            next_due_at=due,
        )


class ProgressForm(forms.Form):
    body = forms.CharField(
        label=_("Progress update to the customer"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
