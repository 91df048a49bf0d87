"""The forms of the triage and routing pages: plain Django validation, then the services'
own checks (whose refusals are shown on the form, with everything typed kept)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import AssignmentStrategy, Availability
from bihuan.accounts.models import Department, Skill, Team
from bihuan.customers.choices import Tier
from bihuan.tickets.choices import Channel, Emotion, Priority, TicketType
from bihuan.tickets.models import Category
from bihuan.triage.choices import RuleLanguage, TriageField
from bihuan.triage.models import RoutingRule, TriageRule
from bihuan.triage.services import RoutingRuleInput, RuleInput

# The value select of each field a triage rule can decide (only the chosen field's is used).
VALUE_FIELDS: dict[str, str] = {
    TriageField.CATEGORY: "category_value",
    TriageField.KIND: "kind_value",
    TriageField.URGENCY: "urgency_value",
    TriageField.EMOTION: "emotion_value",
}


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = f"form-control form-control-sm {widget.attrs.get('class', '')}"


def category_choices() -> list[tuple[str, str]]:
    """Categories as "parent › child", parents first (one query)."""
    categories = sorted(
        Category.objects.select_related("parent"),
        key=lambda c: (
            c.parent.position if c.parent else c.position,
            str(c.parent or c),
            c.parent_id is not None,
            c.position,
            str(c),
        ),
    )
    return [(str(c.pk), str(c)) for c in categories]


def _choices(pairs: Any) -> list[tuple[str, Any]]:
    """Choices with string values; the labels stay lazy (translated when rendered)."""
    return [(str(value), label) for value, label in pairs]


class RuleForm(forms.Form):
    """A triage rule: the field it decides and its value are chosen from lists."""

    name = forms.CharField(label=_("Name"), max_length=100)
    field = forms.ChoiceField(label=_("Field"), choices=TriageField.choices)
    category_value = forms.ChoiceField(label=_("Category"), required=False)
    kind_value = forms.ChoiceField(
        label=_("Request type"), required=False, choices=_choices(TicketType.choices)
    )
    urgency_value = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=_choices(Priority.choices)
    )
    emotion_value = forms.ChoiceField(
        label=_("Emotion"), required=False, choices=_choices(Emotion.choices)
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=RuleLanguage.choices, initial=RuleLanguage.ANY
    )
    patterns = forms.CharField(
        label=_("Patterns"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        help_text=_("One keyword per line; start a line with re: for a regex."),
    )
    weight = forms.FloatField(label=_("Weight"), initial=1.0, min_value=0.01, max_value=10)
    is_always = forms.BooleanField(label=_("Always wins"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("position"), min_value=0, initial=0, required=False)

    def __init__(self, data: Any = None, *, instance: TriageRule | None = None) -> None:
        initial: dict[str, Any] = {}
        if instance is not None:
            initial = {
                "name": instance.name,
                "field": instance.field,
                VALUE_FIELDS.get(instance.field, "kind_value"): instance.value,
                "language": instance.language,
                "patterns": instance.patterns,
                "weight": instance.weight,
                "is_always": instance.is_always,
                "is_active": instance.is_active,
                "position": instance.position,
            }
        super().__init__(data, initial=initial)
        self.fields["category_value"].choices = category_choices()  # type: ignore[attr-defined]
        _style(self)
        for name in VALUE_FIELDS.values():
            self.fields[name].widget.attrs["data-rule-value"] = name.removesuffix("_value")

    @property
    def chosen_field(self) -> str:
        """The field the rule decides, as typed (for showing only its value select)."""
        value = self.data.get("field") if self.is_bound else self.initial.get("field")
        return str(value or TriageField.CATEGORY)

    def value_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(field, self[name]) for field, name in VALUE_FIELDS.items()]

    def other_fields(self) -> list[forms.BoundField]:
        skip = {"name", "field", *VALUE_FIELDS.values()}
        return [self[name] for name in self.fields if name not in skip]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = VALUE_FIELDS.get(data.get("field", ""))
        if name and not data.get(name):
            self.add_error(name, _("Choose the value this rule points to."))
        return data

    def to_input(self) -> RuleInput:
        data = self.cleaned_data
        return RuleInput(
            name=data["name"],
            field=data["field"],
            value=str(data[VALUE_FIELDS[data["field"]]]).strip(),
            patterns=data["patterns"],
            language=data["language"] or RuleLanguage.ANY,
            weight=float(data["weight"]),
            is_always=bool(data["is_always"]),
            is_active=bool(data["is_active"]),
            position=int(data["position"] or 0),
        )


class RoutingRuleForm(forms.Form):
    """A routing rule: conditions chosen from lists (blank: any), and where tickets go."""

    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Queue"), queryset=Team.objects.order_by("name"), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(label=_("Request type"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    customer_tier = forms.ChoiceField(label=_("customer tier"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=RuleLanguage.choices, initial=RuleLanguage.ANY
    )
    min_urgency = forms.TypedChoiceField(
        label=_("minimum urgency"), coerce=int, required=False, empty_value=None
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("required skills"),
        queryset=Skill.objects.order_by("name"),
        required=False,
        help_text=_("Skills-based queues give the ticket only to agents with all of these."),
    )
    position = forms.IntegerField(label=_("position"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, data: Any = None, *, instance: RoutingRule | None = None) -> None:
        initial: dict[str, Any] = {}
        if instance is not None:
            initial = {
                "name": instance.name,
                "team": instance.team_id,
                "department": instance.department_id,
                "category": instance.category_id,
                "kind": instance.kind,
                "channel": instance.channel,
                "customer_tier": instance.customer_tier,
                "language": instance.language,
                "min_urgency": instance.min_urgency,
                "skills": [skill.pk for skill in instance.required_skills.all()],
                "position": instance.position,
                "is_active": instance.is_active,
            }
        super().__init__(data, initial=initial)
        anything: list[tuple[str, Any]] = [("", _("Any"))]
        fields: dict[str, Any] = self.fields
        fields["category"].choices = anything + category_choices()
        fields["kind"].choices = anything + _choices(TicketType.choices)
        fields["channel"].choices = anything + _choices(Channel.choices)
        fields["customer_tier"].choices = anything + _choices(Tier.choices)
        fields["min_urgency"].choices = anything + _choices(Priority.choices)
        fields["team"].empty_label = str(_("— none —"))
        fields["department"].empty_label = str(_("— the queue's department —"))
        _style(self)
        self.fields["skills"].widget.attrs.update({"class": "form-select form-select-sm"})

    def to_input(self) -> RoutingRuleInput:
        data = self.cleaned_data
        category = None
        if data["category"] is not None:
            category = Category.objects.filter(pk=data["category"]).first()
        return RoutingRuleInput(
            name=data["name"],
            team=data["team"],
            department=data["department"],
            category=category,
            kind=data["kind"] or "",
            channel=data["channel"] or "",
            customer_tier=data["customer_tier"] or "",
            language=data["language"] or RuleLanguage.ANY,
            min_urgency=data["min_urgency"],
            skills=list(data["skills"]),
            position=int(data["position"] or 0),
            is_active=bool(data["is_active"]),
        )


class SkillForm(forms.Form):
    name = forms.CharField(
        label=_("New skill"),
        max_length=50,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("e.g. English")}
        ),
    )


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(choices=Availability.choices)


class AgentSkillsForm(forms.Form):
    skills = forms.ModelMultipleChoiceField(queryset=Skill.objects.order_by("name"), required=False)


class QueueForm(forms.Form):
    assignment_strategy = forms.ChoiceField(choices=AssignmentStrategy.choices)
    offline_release_minutes = forms.IntegerField(min_value=0, max_value=24 * 60)
