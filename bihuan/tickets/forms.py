"""Forms of the agent pages: they parse and validate what a browser sends, nothing more.

Choice lists (categories, owners, queues, departments, tags) are read once per page by
``load_options`` and handed to the forms, so a form never queries by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Tag
from bihuan.tickets.choices import (
    CallBackOutcome,
    Channel,
    Emotion,
    Priority,
    TicketStatus,
    TicketType,
)
from bihuan.tickets.models import Category, Ticket
from bihuan.tickets.queries import SORTS, VIEWS, TicketFilters
from bihuan.tickets.services import form_version
from bihuan.tickets.state_machine import allowed_targets

MAX_ID = 2**62
_TAG_SEPARATORS = re.compile(r"[,，、;；]")


@dataclass(frozen=True)
class TicketOptions:
    """The rows the ticket forms offer as choices (each list is small and bounded)."""

    categories: list[Category]
    owners: list[User]
    teams: list[Team]
    departments: list[Department]
    tags: list[Tag]
    # Active users with a department, by department then username (the task form's choices).
    members: list[User] = field(default_factory=list)

    def name_of(self, kind: str, pk: Any) -> str:
        """The display name of a category/team/department id found in an event's data."""
        if pk is None or pk == "":
            return "—"
        by_kind: dict[str, list[Any]] = {
            "category": self.categories,
            "team": self.teams,
            "department": self.departments,
            "owner": self.owners,
        }
        rows = by_kind.get(kind, [])
        for row in rows:
            if row.pk == pk:
                return str(row)
        return f"#{pk}"


def load_options() -> TicketOptions:
    """Read the choice lists of the ticket forms (the task form's too): five small indexed
    queries."""
    categories = sorted(
        Category.objects.select_related("parent"),
        key=lambda c: (
            c.parent.position if c.parent else c.position,
            c.parent.name if c.parent else c.name,
            c.parent_id is not None,
            c.position,
            c.name,
        ),
    )
    users = list(
        User.objects.filter(is_active=True).select_related("department").order_by("username")
    )
    departments = list(Department.objects.order_by("name"))
    rank = {department.pk: i for i, department in enumerate(departments)}
    return TicketOptions(
        categories=categories,
        owners=[u for u in users if u.role != Role.DEPARTMENT_MEMBER][:500],
        teams=list(Team.objects.order_by("name")[:500]),
        departments=departments,
        tags=list(Tag.objects.order_by("name")[:500]),
        members=sorted(
            (u for u in users if u.department_id is not None),
            key=lambda u: rank.get(u.department_id or 0, len(rank)),
        ),
    )


def _id_choices(rows: list[Any], *, empty: str | None = None) -> list[tuple[Any, str]]:
    choices: list[tuple[Any, str]] = [("", empty)] if empty is not None else []
    choices += [(row.pk, str(row)) for row in rows]
    return choices


def _select(**attrs: Any) -> forms.Select:
    return forms.Select(attrs={"class": "form-select form-select-sm", **attrs})


def split_tags(text: str) -> list[str]:
    """Tags typed as “加急, 媒体曝光风险” (Chinese or Latin commas) → clean distinct names."""
    seen: list[str] = []
    for part in _TAG_SEPARATORS.split(text):
        name = part.strip()[:50]
        if name and name not in seen:
            seen.append(name)
    return seen


class InboxFilterForm(forms.Form):
    """The inbox's query string. Invalid values are dropped, never a 500."""

    view = forms.ChoiceField(choices=list(VIEWS.items()), required=False)
    status = forms.MultipleChoiceField(choices=TicketStatus.choices, required=False)
    priority = forms.TypedMultipleChoiceField(choices=Priority.choices, coerce=int, required=False)
    type = forms.MultipleChoiceField(choices=TicketType.choices, required=False)
    channel = forms.MultipleChoiceField(choices=Channel.choices, required=False)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    tag = forms.CharField(max_length=50, required=False)
    created_from = forms.DateField(required=False)
    created_to = forms.DateField(required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)
    cursor = forms.CharField(max_length=500, required=False)

    SORT_LABELS = {
        "-updated": _("Recently updated"),
        "updated": _("Least recently updated"),
        "-created": _("Newest"),
        "created": _("Oldest"),
        "-priority": _("Highest priority"),
        "priority": _("Lowest priority"),
        "sla": _("Time to next SLA breach"),
    }

    def __init__(self, data: Any, *, options: TicketOptions) -> None:
        super().__init__(data)
        self.options = options
        self.fields["category"].choices = _id_choices(options.categories, empty="")  # type: ignore[attr-defined]
        self.fields["owner"].choices = _id_choices(options.owners, empty="")  # type: ignore[attr-defined]
        self.fields["team"].choices = _id_choices(options.teams, empty="")  # type: ignore[attr-defined]

    def value(self, name: str) -> Any:
        """The valid cleaned value of ``name`` (None/empty when absent or invalid)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    def filters(self) -> TicketFilters:
        self.is_valid()  # fills cleaned_data with the valid fields only
        return TicketFilters(
            view=self.value("view") or "open",
            status=list(self.value("status") or []),
            priority=list(self.value("priority") or []),
            kind=list(self.value("type") or []),
            channel=list(self.value("channel") or []),
            category=self.value("category"),
            owner=self.value("owner"),
            team=self.value("team"),
            tag=(self.value("tag") or "").strip(),
            created_from=self.value("created_from"),
            created_to=self.value("created_to"),
            sort=self.value("sort") or "-updated",
        )

    def cursor_value(self) -> str | None:
        return self.value("cursor") or None

    @property
    def is_filtered(self) -> bool:
        keys = ("status", "priority", "type", "channel", "category", "owner", "team", "tag")
        return any(self.value(k) for k in keys) or bool(
            self.value("created_from") or self.value("created_to")
        )


class MessageForm(forms.Form):
    body = forms.CharField(
        max_length=100_000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )


class ReplyForm(MessageForm):
    """A reply and the channel the agent chose (checked against the customer's channels)."""

    channel = forms.CharField(required=False, max_length=16)


class VersionedForm(forms.Form):
    """A form on the ticket page that carries the version of the fields it was shown with
    (``services.form_version``), so that saving it after a colleague changed one of them is
    refused instead of overwriting it."""

    version = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def expected_versions(self) -> list[str] | None:
        version = self.cleaned_data.get("version") or ""
        return [version] if version else None


class StatusField(forms.ChoiceField):
    """The status select; a status the ticket cannot go to now (a page left open while the
    ticket moved on) is refused by its translated label, never by its code."""

    def validate(self, value: Any) -> None:
        try:
            super().validate(value)
        except ValidationError as error:
            if value not in TicketStatus.values:
                raise ValidationError(
                    _("Choose a status from the list."), code="invalid_choice"
                ) from error
            raise ValidationError(
                _("The ticket cannot change to “%(status)s” now: reload the page."),
                code="invalid_choice",
                params={"status": TicketStatus(value).label},
            ) from error


class TicketPropertiesForm(VersionedForm):
    """The side panel: every field an agent changes on a ticket, applied in one transaction.

    Each field also sends the value it was shown with (``show_hidden_initial``), so only the
    fields the agent changed are saved.
    """

    status = StatusField(label=_("Status"), widget=_select())
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, widget=_select()
    )
    kind = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, widget=_select())
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    owner = forms.TypedChoiceField(
        label=_("Owner"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    team = forms.TypedChoiceField(
        label=_("Queue"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    shared_departments = forms.TypedMultipleChoiceField(
        label=_("Shared with departments"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select form-select-sm", "size": 3}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas."),
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "list": "tag-options"}
        ),
    )
    emotion = forms.ChoiceField(
        label=_("Emotion"),
        required=False,
        choices=[("", "—"), *Emotion.choices],
        widget=_select(),
    )

    def __init__(self, data: Any = None, *, ticket: Ticket, options: TicketOptions) -> None:
        initial = {
            "status": ticket.status,
            "priority": ticket.priority,
            "kind": ticket.kind,
            "category": ticket.category_id,
            "owner": ticket.owner_id,
            "team": ticket.team_id,
            "department": ticket.department_id,
            "shared_departments": [d.pk for d in ticket.shared_departments.all()],
            "tags": ", ".join(t.name for t in ticket.tags.all()),
            "emotion": ticket.emotion,
            "version": form_version(ticket, "panel"),
        }
        super().__init__(data, initial=initial)
        for name, form_field in self.fields.items():
            form_field.show_hidden_initial = name != "version"
        labels = dict(TicketStatus.choices)
        # 等待协作 follows the tasks (opening one puts the ticket there): not a menu choice.
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (status, labels[status])
            for status in [ticket.status, *allowed_targets(ticket.status)]
            if status == ticket.status or status != TicketStatus.PENDING_COLLABORATION
        ]
        none = str(_("— none —"))
        self.fields["category"].choices = _id_choices(options.categories, empty=none)  # type: ignore[attr-defined]
        owners = options.owners
        if ticket.owner is not None and all(o.pk != ticket.owner_id for o in owners):
            owners = [*owners, ticket.owner]  # keep the current owner selectable
        self.fields["owner"].choices = _id_choices(owners, empty=str(_("— unassigned —")))  # type: ignore[attr-defined]
        self.fields["team"].choices = _id_choices(options.teams, empty=none)  # type: ignore[attr-defined]
        self.fields["department"].choices = _id_choices(options.departments, empty=none)  # type: ignore[attr-defined]
        self.fields["shared_departments"].choices = _id_choices(options.departments)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The values for ``services.changes_from_ids`` (ids name related rows): only those
        of the fields the agent changed on the page."""
        data = self.cleaned_data
        changed = set(self.changed_data)
        keys = {
            "status": "status",
            "priority": "priority",
            "kind": "kind",
            "category_id": "category",
            "owner_id": "owner",
            "team_id": "team",
            "department_id": "department",
            "shared_department_ids": "shared_departments",
            "tags": "tags",
            "emotion": "emotion",
        }
        return {key: value for key, value in self._all_values(data).items() if keys[key] in changed}

    @staticmethod
    def _all_values(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": data["status"],
            "priority": data["priority"],
            "kind": data["kind"],
            "category_id": data["category"],
            "owner_id": data["owner"],
            "team_id": data["team"],
            "department_id": data["department"],
            "shared_department_ids": list(data["shared_departments"]),
            "tags": split_tags(data["tags"] or ""),
            "emotion": data["emotion"] or "",
        }


class HandlingForm(VersionedForm):
    """需求确认 and 处理方案: the restated need (confirmed or not) and the solution."""

    need_statement = forms.CharField(
        label=_("Confirmed need"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(
            attrs={
                "class": "form-control form-control-sm",
                "rows": 3,
                "placeholder": _("Restate the customer's need in your own words…"),
            }
        ),
    )
    need_confirmed = forms.BooleanField(
        label=_("The customer confirmed this need"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    solution = forms.CharField(
        label=_("Solution"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(
            attrs={
                "class": "form-control form-control-sm",
                "rows": 3,
                "placeholder": _("What was done or offered to solve it…"),
            }
        ),
    )

    def __init__(self, data: Any = None, *, ticket: Ticket) -> None:
        super().__init__(
            data,
            initial={
                "need_statement": ticket.need_statement,
                "need_confirmed": ticket.is_need_confirmed,
                "solution": ticket.solution,
                "version": form_version(ticket, "handling"),
            },
        )
        self.ticket = ticket

    def service_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``services.patch_ticket`` (blank means “leave as it is”)."""
        statement = self.cleaned_data["need_statement"].strip()
        has_need = bool(statement or self.ticket.need_statement)
        solution = self.cleaned_data["solution"].strip()
        return {
            "need_statement": statement or None,
            "need_confirmed": self.cleaned_data["need_confirmed"] if has_need else None,
            "solution": solution or None,
        }


class CommitmentForm(forms.Form):
    description = forms.CharField(
        label=_("Commitment"),
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("e.g. Call back with the refund result"),
            }
        ),
    )
    due_at = forms.DateTimeField(
        label=_("Due at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"class": "form-control form-control-sm", "type": "datetime-local"},
            format="%Y-%m-%dT%H:%M",
        ),
    )


class CommitmentCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("Why this commitment will not be kept"),
            }
        ),
    )


class KanbanMoveForm(forms.Form):
    number = forms.IntegerField(min_value=1, max_value=MAX_ID)
    status = forms.ChoiceField(choices=TicketStatus.choices)


# --- Collaboration tasks, call-backs, closing, delay notice -------------------------------

_SMALL = {"class": "form-control form-control-sm"}
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _datetime_field(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=_DATETIME_FORMATS,
        widget=forms.DateTimeInput(
            attrs={**_SMALL, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )


class TaskForm(forms.Form):
    """Open a collaboration task: the department, optionally its member, and what is asked."""

    department = forms.TypedChoiceField(label=_("Department"), coerce=int, choices=())
    assignee = forms.TypedChoiceField(
        label=_("Owner in the department"), coerce=int, required=False, empty_value=None, choices=()
    )
    description = forms.CharField(
        label=_("What is asked"),
        max_length=5000,
        widget=forms.Textarea(
            attrs={**_SMALL, "rows": 2, "placeholder": _("e.g. Find the cause of the fault")}
        ),
    )

    def __init__(
        self, *args: Any, departments: list[Department], members: list[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        self.members = {u.pk: u for u in members}
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            (d.pk, d.name) for d in departments
        ]
        self.fields["department"].widget.attrs.update({"class": "form-select form-select-sm"})
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone in the department"))
        ] + [(u.pk, f"{u} · {u.department}") for u in members]
        self.fields["assignee"].widget.attrs.update({"class": "form-select form-select-sm"})


class TaskAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=10_000,
        widget=forms.Textarea(attrs={**_SMALL, "rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.TextInput(attrs=_SMALL)
    )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for closing without a call-back"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs=_SMALL),
    )


class CallBackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallBackOutcome.choices)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.TextInput(attrs=_SMALL)
    )
    retry_at = _datetime_field(_("Try again at (not reached)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs.update({"class": "form-select form-select-sm"})


class CommitmentMoveForm(forms.Form):
    due_at = _datetime_field(_("New due time"))
    reason = forms.CharField(
        label=_("Reason (told to the customer)"),
        max_length=500,
        widget=forms.TextInput(attrs=_SMALL),
    )


class OtherTicketForm(forms.Form):
    """The number of another ticket (to merge into, to link)."""

    other = forms.IntegerField(
        label=_("Ticket number"),
        min_value=1,
        max_value=MAX_ID,
        widget=forms.NumberInput(attrs=_SMALL),
    )


# Channels a person opens a ticket for by hand: a call, a visit, a message taken elsewhere.
MANUAL_CHANNELS = (
    Channel.PHONE,
    Channel.EMAIL,
    Channel.WECHAT,
    Channel.WECOM,
    Channel.SMS,
    Channel.DINGTALK,
    Channel.FEISHU,
    Channel.WEB,
)


class NewTicketForm(forms.Form):
    """A ticket an agent opens by hand for a caller or a walk-in customer (``/tickets/new/``):
    who (found or created by phone, email or name), how they came, what they need."""

    name = forms.CharField(
        label=_("Customer name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"class": "form-control form-control-sm"}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in MANUAL_CHANNELS],
        initial=Channel.PHONE,
        widget=_select(),
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=TicketType.choices, initial=TicketType.INQUIRY, widget=_select()
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        widget=_select(),
    )
    team = forms.TypedChoiceField(
        label=_("Queue"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    body = forms.CharField(
        label=_("What the customer said"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    assign_to_me = forms.BooleanField(
        label=_("I handle it (owner)"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.fields["team"].choices = _id_choices(teams, empty="—")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any((data.get(name) or "").strip() for name in ("name", "phone", "email")):
            raise ValidationError(
                _("Give the customer's phone, email or name."), code="customer_required"
            )
        return data

    def chosen_team(self) -> Team | None:
        team_id = self.cleaned_data.get("team")
        return self.teams.get(team_id) if team_id is not None else None
