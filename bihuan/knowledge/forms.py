"""Forms of the knowledge pages: plain Django validation, then the services' own checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import Role
from bihuan.accounts.models import User
from bihuan.core.models import Tag
from bihuan.knowledge.answerer import DEFAULT_THRESHOLD
from bihuan.knowledge.choices import MACRO_STATUSES, ArticleStatus, Audience, Language, Scenario
from bihuan.knowledge.models import KnowledgeCategory, ReplyTemplate
from bihuan.knowledge.services import ArticleFields, MacroFields, TemplateFields
from bihuan.tickets.choices import Channel, Priority
from bihuan.tickets.models import Category


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


def _category_choices() -> list[tuple[str, str]]:
    rows = KnowledgeCategory.objects.select_related("parent").order_by("parent_id", "position")
    return [("", "—")] + [
        (str(c.pk), f"{c.parent.name} › {c.name}" if c.parent else c.name) for c in rows
    ]


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body (Markdown)"), max_length=100_000, widget=forms.Textarea(attrs={"rows": 14})
    )
    answer = forms.CharField(
        label=_("Answer for customers"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Inserted into a reply with one click; the body is used when empty."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    category = forms.ChoiceField(label=_("Category"), required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags by spaces.")
    )
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]
        _style(self)

    def fields_value(self) -> ArticleFields:
        data = self.cleaned_data
        category = None
        if data.get("category"):
            category = KnowledgeCategory.objects.filter(pk=int(data["category"])).first()
        return ArticleFields(
            title=data["title"],
            body=data["body"],
            answer=data.get("answer", ""),
            language=data["language"],
            audience=data["audience"],
            category=category,
            tags=[t for t in data.get("tags", "").replace("，", " ").split() if t],
            review_by=data.get("review_by"),
            note=data.get("note", ""),
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ArticleStatus.choices)


class VoteForm(forms.Form):
    helpful = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", _("All statuses")), *ArticleStatus.choices]
    )
    language = forms.ChoiceField(
        required=False, choices=[("", _("All languages")), *Language.choices]
    )
    category = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    tag = forms.CharField(required=False, max_length=50)
    mine = forms.BooleanField(required=False)
    cursor = forms.CharField(required=False, max_length=500)


class PolicyChangeForm(forms.Form):
    title = forms.CharField(label=_("What changed"), max_length=200)
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tag = forms.ModelChoiceField(
        label=_("Articles with the tag"),
        queryset=Tag.objects.order_by("name"),
        required=False,
        to_field_name="name",
    )
    query = forms.CharField(label=_("or articles matching"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class SynonymForm(forms.Form):
    terms = forms.CharField(
        label=_("Words that mean the same"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "快递 物流 快运"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("New category"), max_length=100)
    parent = forms.ChoiceField(label=_("Parent category"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = _category_choices()  # type: ignore[attr-defined]
        _style(self)

    def parent_value(self) -> KnowledgeCategory | None:
        value = self.cleaned_data.get("parent")
        return KnowledgeCategory.objects.filter(pk=int(value)).first() if value else None


class TemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    scenario = forms.ChoiceField(label=_("Scenario"), choices=Scenario.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    body = forms.CharField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=format_lazy(
            "{} {}",
            _("Variables:"),
            "{{ customer.name }}, {{ ticket.number }}, {{ ticket.subject }}, {{ agent.name }}, "
            "{{ commitment.due }}, {{ commitment.description }}",
        ),
    )
    shared = forms.BooleanField(label=_("Shared with the whole team"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, can_share: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["shared"]
        _style(self)

    def fields_value(self) -> TemplateFields:
        data = self.cleaned_data
        return TemplateFields(
            title=data["title"],
            body=data["body"],
            scenario=data["scenario"],
            language=data["language"],
            shared=bool(data.get("shared")),
        )


class MacroForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    template = forms.ModelChoiceField(
        label=_("Reply with the template"),
        queryset=ReplyTemplate.objects.filter(owner__isnull=True, is_active=True),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Set status"), choices=[("", "—"), *MACRO_STATUSES], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Set priority"),
        choices=[("", "—"), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    category = forms.ModelChoiceField(
        label=_("Set category"), queryset=Category.objects.order_by("name"), required=False
    )
    add_tags = forms.CharField(
        label=_("Add tags"), max_length=300, required=False, help_text=_("Separate tags by spaces.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def fields_value(self) -> MacroFields:
        data = self.cleaned_data
        return MacroFields(
            title=data["title"],
            template=data.get("template"),
            status=data.get("status") or "",
            priority=data.get("priority"),
            category=data.get("category"),
            add_tags=data.get("add_tags") or "",
        )


class AutoAnswerForm(forms.Form):
    """One channel's automatic answers (admins)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    is_enabled = forms.BooleanField(label=_("Answer inquiries automatically"), required=False)
    threshold = forms.FloatField(
        label=_("Confidence threshold"), min_value=0, max_value=1, initial=DEFAULT_THRESHOLD
    )
    sender = forms.ModelChoiceField(
        label=_("Sent as"),
        queryset=User.objects.filter(is_active=True)
        .exclude(role=Role.DEPARTMENT_MEMBER)
        .order_by("username"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
