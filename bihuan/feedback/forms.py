"""Forms of the feedback pages: plain Django parsing, then the services' own checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bihuan.accounts.models import Department, User
from bihuan.core.models import Tag
from bihuan.customers.choices import Tier
from bihuan.feedback.choices import (
    HAND_SOURCES,
    CauseCategory,
    CauseDetail,
    DeliveryChoice,
    EntryKind,
    EntrySource,
    InternalTopic,
    QuestionKind,
    ReportDimension,
)
from bihuan.feedback.models import SurveyReason
from bihuan.tickets.choices import Emotion
from bihuan.tickets.models import Category


def _style(form: forms.BaseForm) -> None:
    for item in form.fields.values():
        widget = item.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.RadioSelect):
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


class SurveyForm(forms.Form):
    """The customer's answer. The score's range is the service's rule (a tampered form
    gets its message); here only "a whole number" is checked."""

    score = forms.IntegerField(label=_("Score"), required=False)
    reasons = forms.MultipleChoiceField(
        label=_("What mattered most?"), required=False, widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up = forms.CharField(
        label=_("What is the main reason for your score?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, reasons: list[SurveyReason], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = [(str(r.pk), r.text) for r in reasons]  # type: ignore[attr-defined]
        self.fields["reasons"].widget.attrs["class"] = "form-check-input"
        self.fields["comment"].widget.attrs["class"] = "form-control"
        self.fields["follow_up"].widget.attrs["class"] = "form-control"

    def clean_score(self) -> int:
        score = self.cleaned_data.get("score")
        if score is None:
            raise forms.ValidationError(_("Choose a score."))
        return int(score)


def _category_choices() -> list[tuple[str, str]]:
    rows = Category.objects.select_related("parent").order_by("parent_id", "position", "name")
    return [("", "—")] + [(str(c.pk), str(c)) for c in rows]


class EntryForm(forms.Form):
    """A hand entry for the register (社群留言, 电话回访…)."""

    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[(k.value, k.label) for k in EntryKind if k != EntryKind.INTERNAL],
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[(s.value, EntrySource(s).label) for s in HAND_SOURCES]
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    tickets = forms.CharField(
        label=_("Linked tickets"),
        required=False,
        max_length=200,
        help_text=_("Ticket numbers, separated by spaces or commas."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    product = forms.CharField(label=_("Product"), required=False, max_length=200)
    emotion = forms.ChoiceField(
        label=_("Emotion"), required=False, choices=[("", "—"), *Emotion.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]
        _style(self)

    def clean_tickets(self) -> list[int]:
        raw = self.cleaned_data.get("tickets") or ""
        numbers = []
        for part in raw.replace(",", " ").replace("，", " ").split():
            text = part.lstrip("#")
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise forms.ValidationError(
                    _("“%(value)s” is not a ticket number."), params={"value": part}
                )
            numbers.append(int(text))
        return list(dict.fromkeys(numbers))

    def category_object(self) -> Category | None:
        value = self.cleaned_data.get("category")
        return Category.objects.filter(pk=int(value)).first() if value else None


class AnalysisForm(forms.Form):
    cause_category = forms.ChoiceField(label=_("Cause (人/货/场)"), choices=CauseCategory.choices)
    cause_detail = forms.ChoiceField(
        label=_("Cause in detail"), required=False, choices=[("", "—"), *CauseDetail.choices]
    )
    facts = forms.CharField(
        label=_("Facts"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_systemic = forms.BooleanField(
        label=_("Systemic (not a one-off): needs a rectification"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(is_active=True).order_by("username")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ChangeForm(forms.Form):
    note = forms.CharField(label=_("What changed"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class RectificationForm(forms.Form):
    problem = forms.CharField(label=_("Problem"), max_length=500)
    owner_department = forms.ModelChoiceField(
        label=_("Owner department"), queryset=Department.objects.order_by("name")
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
    )
    measures = forms.CharField(
        label=_("Measures"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    acceptance_criteria = forms.CharField(
        label=_("Acceptance criteria"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    weeks = forms.IntegerField(label=_("Weeks compared before and after"), initial=4)
    analysis = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]
        _style(self)

    def category_object(self) -> Category | None:
        value = self.cleaned_data.get("category")
        return Category.objects.filter(pk=int(value)).first() if value else None


class MoveForm(forms.Form):
    to = forms.CharField(max_length=24)
    reason = forms.CharField(required=False, max_length=500)


class InternalFeedbackForm(forms.Form):
    topic = forms.ChoiceField(label=_("What is it?"), choices=InternalTopic.choices)
    summary = forms.CharField(
        label=_("Describe it"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ReportForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("end of a period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    by = forms.ChoiceField(label=_("Group by"), required=False, choices=ReportDimension.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class QuestionForm(forms.Form):
    """One row of the survey builder; a row without a question is left out."""

    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), required=False, max_length=500)
    options = forms.CharField(
        label=_("Choices (one per line)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    is_satisfaction = forms.BooleanField(label=_("Satisfaction question"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def option_list(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("options") or ""
        return tuple(line.strip() for line in raw.splitlines() if line.strip())


QuestionFormSet = forms.formset_factory(QuestionForm, extra=6, max_num=20, absolute_max=20)


class CampaignForm(forms.Form):
    """A campaign survey (季度回访调研): title, introduction, recipients and send time; the
    questions come from ``QuestionFormSet``."""

    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction (in the mail and on the page)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"),
        required=False,
        choices=Tier.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=Tag.objects.order_by("name")
    )
    contacted_within_days = forms.IntegerField(
        label=_("In contact within (days)"), required=False, min_value=1, max_value=3650
    )
    customers = forms.CharField(
        label=_("Or a list of customers"),
        required=False,
        max_length=20000,
        help_text=_("Customer numbers, separated by spaces or commas."),
    )
    send_at = forms.DateTimeField(
        label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    delivery = forms.ChoiceField(
        label=_("Send by"),
        required=False,  # on the ticket's channel
        choices=DeliveryChoice.choices,
        initial=DeliveryChoice.TICKET_CHANNEL,
        help_text=_(
            "Without an address for it, the customer's last channel, email, then SMS are tried."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_customers(self) -> list[int]:
        raw = self.cleaned_data.get("customers") or ""
        numbers = []
        for part in raw.replace(",", " ").replace("，", " ").split():
            text = part.lstrip("#")
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise forms.ValidationError(
                    _("“%(value)s” is not a customer number."), params={"value": part}
                )
            numbers.append(int(text))
        return list(dict.fromkeys(numbers))


class SurveyDeliveryForm(forms.Form):
    """How CSAT and NPS invitations are sent (the campaign surveys page)."""

    csat = forms.ChoiceField(label=_("CSAT after a solved ticket"), choices=DeliveryChoice.choices)
    nps = forms.ChoiceField(label=_("NPS on its schedule"), choices=DeliveryChoice.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
