"""The feedback pages: the public survey (no sign-in), the register, the analysis of a
negative entry, the rectification ledger, the reports with their exports, and the ticket
page's internal-feedback flag."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import DomainError, ValidationFailed
from bihuan.core.views import domain_errors
from bihuan.customers.models import Customer
from bihuan.customers.queries import get_customer
from bihuan.feedback import exports, queries, services
from bihuan.feedback.choices import (
    CAUSE_DETAILS,
    RECTIFICATION_MOVES,
    AnalysisState,
    CampaignState,
    DeliveryChoice,
    EntryKind,
    EntrySource,
    QuestionKind,
    RectificationState,
    SurveyKind,
)
from bihuan.feedback.forms import (
    AnalysisForm,
    AssignForm,
    CampaignForm,
    ChangeForm,
    EntryForm,
    InternalFeedbackForm,
    MoveForm,
    QuestionFormSet,
    RectificationForm,
    ReportForm,
    SurveyDeliveryForm,
    SurveyForm,
)
from bihuan.feedback.models import CampaignSurvey, SurveyInvitation, SurveyResponse
from bihuan.tickets.queries import get_ticket_to_change

# What the button says for each move.
MOVE_LABELS: dict[str, Any] = {
    RectificationState.IN_PROGRESS: gettext_lazy("Start the rectification"),
    RectificationState.AWAITING_ACCEPTANCE: gettext_lazy("Submit for acceptance"),
    RectificationState.ACCEPTED: gettext_lazy("Accept"),
    RectificationState.RETURNED: gettext_lazy("Return"),
}


def _keep(request: HttpRequest) -> str:
    """The list's filters, for its page links (the cursor is added by the link)."""
    query = request.GET.copy()
    query.pop("cursor", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


# --- The public survey ------------------------------------------------------------------------


def _survey_page(
    request: HttpRequest,
    invitation: SurveyInvitation,
    form: SurveyForm,
    *,
    response: SurveyResponse | None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    kind = invitation.kind
    scores = range(1, 6) if kind == SurveyKind.CSAT else range(11)
    chosen = form["score"].value()
    return render(
        request,
        "feedback/survey.html",
        {
            "invitation": invitation,
            "form": form,
            "scores": scores,
            "chosen": str(chosen) if chosen not in (None, "") else "",
            "response": response,
            "error": error,
            "token": request.resolver_match.kwargs["token"] if request.resolver_match else "",
        },
        status=status,
    )


def _link_problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "feedback/survey_closed.html",
        {"message": str(exc), "code": exc.code},
        status=exc.status,
    )


@require_GET
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """The short link of a survey text (SMS): to the signed link's page; a forged one gets
    the same clear message as a forged token."""
    try:
        invitation = services.invitation_for_short_code(code)
    except DomainError as exc:
        return _link_problem(request, exc)
    return redirect("feedback:survey", token=services.survey_token(invitation))


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey a mailed link opens: a score, reasons and a comment, on a phone first.
    A second submit within the window changes the answer; a bad link or a late answer gets
    a clear message and changes nothing."""
    now = timezone.now()
    try:
        invitation = services.invitation_for_token(token)
        response = services.check_link_usable(invitation, now=now)
    except DomainError as exc:
        return _link_problem(request, exc)
    if invitation.kind == SurveyKind.CAMPAIGN:
        return _campaign_survey(request, token, invitation, response)
    reasons = queries.list_reasons() if invitation.kind == SurveyKind.CSAT else []
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if response is not None:
            initial = {
                "score": response.score,
                "comment": response.comment,
                "follow_up": response.follow_up,
                "reasons": [str(pk) for pk in response.reasons.values_list("pk", flat=True)],
            }
        score = request.GET.get("score", "")
        if response is None and score.isascii() and score.isdigit() and len(score) <= 2:
            initial["score"] = int(score)  # a score clicked in the mail
        return _survey_page(
            request, invitation, SurveyForm(initial=initial, reasons=reasons), response=response
        )
    form = SurveyForm(request.POST, reasons=reasons)
    if not form.is_valid():
        return _survey_page(request, invitation, form, response=response, status=422)
    data = form.cleaned_data
    try:
        saved = services.answer_survey(
            token,
            services.SurveyAnswer(
                score=data["score"],
                reasons=tuple(int(r) for r in data["reasons"]),
                comment=data["comment"],
                follow_up=data["follow_up"],
            ),
        )
    except ValidationFailed as exc:
        return _survey_page(
            request, invitation, form, response=response, status=exc.status, error=str(exc)
        )
    except DomainError as exc:
        return _link_problem(request, exc)
    return render(
        request,
        "feedback/survey_thanks.html",
        {"response": saved, "token": token, "changed": saved.edit_count > 0},
    )


def _submitted(request: HttpRequest) -> dict[int, list[str]]:
    """The answers posted to a campaign survey: fields ``q<question id>``; a field that
    looks like a question but names none is refused by the service (``unknown_question``)."""
    answers: dict[int, list[str]] = {}
    for key in request.POST:
        if not key.startswith("q"):
            continue
        number = key[1:]
        if not (number.isascii() and number.isdigit() and len(number) <= 18):
            raise ValidationFailed(
                _("The survey has no question %(number)s."),
                code="unknown_question",
                number=number[:20],
            )
        answers[int(number)] = request.POST.getlist(key)
    return answers


def _campaign_survey(
    request: HttpRequest,
    token: str,
    invitation: SurveyInvitation,
    response: SurveyResponse | None,
) -> HttpResponse:
    """A campaign survey's questions on one page; the answer so far when changing it."""
    assert invitation.survey is not None
    questions = list(invitation.survey.questions.order_by("position"))
    given: dict[int, list[str]] = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            given = _submitted(request)
            saved = services.answer_survey(
                token,
                services.SurveyAnswer(score=None, answers=given),
            )
        except ValidationFailed as exc:
            error, status = str(exc), exc.status
        except DomainError as exc:
            return _link_problem(request, exc)
        else:
            return render(
                request,
                "feedback/survey_thanks.html",
                {"response": saved, "token": token, "changed": saved.edit_count > 0},
            )
    elif response is not None:
        for item in response.items.all():
            if item.number is not None:
                given[item.question_id] = [str(item.number)]
            elif item.choices:
                given[item.question_id] = [str(i) for i in item.choices]
            else:
                given[item.question_id] = [item.text]
    rows = []
    for q in questions:
        chosen = given.get(q.pk, [])
        if q.kind in (QuestionKind.RATING, QuestionKind.NPS):
            start, end = (1, 6) if q.kind == QuestionKind.RATING else (0, 11)
            choices = [(str(n), str(n)) for n in range(start, end)]
        else:
            choices = [(str(i), str(o)) for i, o in enumerate(q.options or [])]
        rows.append(
            {
                "question": q,
                "choices": choices,
                "chosen": set(chosen),
                "text": chosen[0] if q.kind == QuestionKind.TEXT and chosen else "",
            }
        )
    return render(
        request,
        "feedback/survey_campaign.html",
        {
            "invitation": invitation,
            "survey": invitation.survey,
            "rows": rows,
            "response": response,
            "error": error,
            "token": token,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """No more surveys for this customer (asked to confirm, so that a mail scanner's GET
    does not opt anyone out)."""
    try:
        invitation = services.invitation_for_token(token)
    except DomainError as exc:
        return _link_problem(request, exc)
    if request.method != "POST":
        return render(request, "feedback/opt_out.html", {"invitation": invitation, "done": False})
    try:
        services.opt_out_of_surveys(token)
    except DomainError as exc:
        return _link_problem(request, exc)
    return render(request, "feedback/opt_out.html", {"invitation": invitation, "done": True})


# --- The register -----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def index(request: HttpRequest) -> HttpResponse:
    """The feedback register (客户反馈登记表), newest first, with a hand-entry form."""
    user = signed_in_user(request)
    kind = request.GET.get("kind", "")
    source = request.GET.get("source", "")
    filters = queries.EntryFilters(
        kind=kind if kind in EntryKind.values else "",
        source=source if source in EntrySource.values else "",
        negative=request.GET.get("negative") == "1",
        open_analysis=request.GET.get("open") == "1",
    )
    page = queries.list_entries(user, filters, cursor=request.GET.get("cursor"))
    return render(
        request,
        "feedback/index.html",
        {
            "page": page,
            "filters": filters,
            "kinds": EntryKind.choices,
            "sources": EntrySource.choices,
            "form": EntryForm(),
            "now": timezone.now(),
            "keep": _keep(request),
        },
    )


@login_required
@require_POST
@domain_errors
def record_entry(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = EntryForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        raise ValidationFailed(str(first))
    data = form.cleaned_data
    tickets = queries.ticket_tickets(user, data["tickets"])
    entry = services.record_entry(
        services.EntryFields(
            kind=data["kind"],
            source=data["source"],
            summary=data["summary"],
            tickets=tuple(tickets),
            category=form.category_object(),
            product=data["product"],
            emotion=data["emotion"],
        ),
        actor=user,
    )
    messages.success(request, _("Feedback recorded."))
    return redirect("feedback:entry", entry_id=entry.pk)


@login_required
@require_GET
@domain_errors
def entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One register entry: its source, its analysis (form for the owner), and what it led
    to."""
    user = signed_in_user(request)
    found = queries.get_entry(user, entry_id)
    analysis = getattr(found, "analysis", None)
    can_analyse = (
        analysis is not None
        and analysis.state == AnalysisState.OPEN
        and (user.sees_everything or analysis.owner_id == user.pk)
    )
    return render(
        request,
        "feedback/entry.html",
        {
            "entry": found,
            "analysis": analysis,
            "can_analyse": can_analyse,
            "is_manager": user.sees_everything,
            "analysis_form": AnalysisForm(),
            "assign_form": AssignForm(initial={"owner": analysis.owner_id if analysis else None}),
            "change_form": ChangeForm(),
            "rectification_form": RectificationForm(
                initial={
                    "analysis": analysis.pk if analysis else None,
                    "problem": found.summary[:500],
                    "category": found.category_id or "",
                }
            ),
            "cause_details": CAUSE_DETAILS,
            "linked": list(found.linked_tickets.order_by("pk").values_list("pk", flat=True)),
            "rectifications": list(found.rectifications.order_by("-id")),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
@domain_errors
def record_analysis(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = signed_in_user(request)
    analysis = queries.get_analysis(user, entry_id)
    form = AnalysisForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(str(next(iter(form.errors.values()))[0]))
    data = form.cleaned_data
    services.record_analysis(
        analysis,
        services.AnalysisFields(
            cause_category=data["cause_category"],
            cause_detail=data["cause_detail"],
            facts=data["facts"],
            is_systemic=data["is_systemic"],
        ),
        actor=user,
    )
    messages.success(request, _("Analysis recorded."))
    return redirect("feedback:entry", entry_id=entry_id)


@login_required
@require_POST
@domain_errors
def assign_analysis(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = signed_in_user(request)
    analysis = queries.get_analysis(user, entry_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose an active colleague."))
    services.assign_analysis(analysis, owner=form.cleaned_data["owner"], actor=user)
    messages.success(request, _("Analysis assigned."))
    return redirect("feedback:entry", entry_id=entry_id)


@login_required
@require_POST
@domain_errors
def record_change(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = queries.get_entry(user, entry_id)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Say what changed."))
    services.record_change(found, note=form.cleaned_data["note"], actor=user)
    messages.success(request, _("Marked as having led to a change."))
    return redirect("feedback:entry", entry_id=entry_id)


# --- The ledger -------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def rectifications(request: HttpRequest) -> HttpResponse:
    """The rectification ledger (整改台账)."""
    user = signed_in_user(request)
    state = request.GET.get("state", "")
    page = queries.list_rectifications(
        user,
        state=state if state in RectificationState.values else "",
        cursor=request.GET.get("cursor"),
    )
    return render(
        request,
        "feedback/rectifications.html",
        {
            "page": page,
            "state": state,
            "states": RectificationState.choices,
            "form": RectificationForm() if user.sees_everything else None,
            "now": timezone.now(),
            "keep": _keep(request),
        },
    )


@login_required
@require_POST
@domain_errors
def open_rectification(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = RectificationForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        raise ValidationFailed(f"{label}: {errors[0]}" if label else str(errors[0]))
    data = form.cleaned_data
    analysis = None
    if data.get("analysis"):
        analysis = queries.get_analysis_by_id(user, int(data["analysis"]))
    item = services.open_rectification(
        services.RectificationFields(
            problem=data["problem"],
            owner_department=data["owner_department"],
            owner=data["owner"],
            measures=data["measures"],
            deadline=data["deadline"],
            acceptance_criteria=data["acceptance_criteria"],
            category=form.category_object(),
            analysis=analysis,
            weeks=data["weeks"],
        ),
        actor=user,
    )
    messages.success(request, _("Rectification opened."))
    return redirect("feedback:rectification", rectification_id=item.pk)


@login_required
@require_GET
@domain_errors
def rectification(request: HttpRequest, rectification_id: int) -> HttpResponse:
    """One ledger item: what, who, by when, its moves, and the weekly complaint counts
    before and after the measure."""
    user = signed_in_user(request)
    item = queries.get_rectification(user, rectification_id)
    moves = RECTIFICATION_MOVES[item.state]
    manager_moves = (RectificationState.ACCEPTED, RectificationState.RETURNED)
    allowed = [
        (to, MOVE_LABELS[to])
        for to in moves
        if (
            user.sees_everything
            if to in manager_moves
            else services.can_work_rectification(user, item)
        )
    ]
    return render(
        request,
        "feedback/rectification.html",
        {
            "item": item,
            "moves": allowed,
            "comparison": queries.complaint_weeks(item),
            "entries": list(item.entries.order_by("-id")),
            "linked": list(item.linked_tickets.order_by("pk").values_list("pk", flat=True)),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
@domain_errors
def move_rectification(request: HttpRequest, rectification_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_rectification(user, rectification_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose what to do."))
    services.move_rectification(
        item, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"], actor=user
    )
    messages.success(request, _("Rectification updated."))
    return redirect("feedback:rectification", rectification_id=rectification_id)


# --- Reports ----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def reports(request: HttpRequest) -> HttpResponse:
    """The feedback rates by period and group; ``?format=csv`` or ``xlsx`` downloads them."""
    user = signed_in_user(request)
    form = ReportForm(request.GET)
    if not form.is_valid():
        raise ValidationFailed(_("Give dates as YYYY-MM-DD."), code="invalid_date")
    period = queries.parse_period(request.GET.get("start"), request.GET.get("end"))
    dimension = form.cleaned_data.get("by") or ""
    rows = queries.feedback_report(user, period, dimension)
    name = f"feedback-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    wanted = request.GET.get("format", "")
    if wanted in ("csv", "xlsx"):
        return exports.download(
            exports.report_table(rows),
            name=name,
            fmt=wanted,
            title=f"{period.start:%Y%m%d}-{period.end:%Y%m%d}",
        )
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "feedback/reports.html",
        {
            "rows": rows,
            "form": ReportForm(initial={"start": period.start, "end": period.end, "by": dimension}),
            "period": period,
            "query": query.urlencode(),
        },
    )


# --- Campaign surveys -------------------------------------------------------------------------


def _campaign_builder(request: HttpRequest, user: Any, form: CampaignForm, questions: Any) -> Any:
    page = queries.list_campaigns(user, cursor=request.GET.get("cursor"))
    return {
        "page": page,
        "form": form,
        "questions": questions,
        "delivery_form": SurveyDeliveryForm(initial=queries.survey_delivery_settings(user)),
        "keep": _keep(request),
        "now": timezone.now(),
    }


@login_required
@require_GET
@domain_errors
def campaigns(request: HttpRequest) -> HttpResponse:
    """Campaign surveys (季度回访调研) and the builder (supervisors and admins)."""
    user = signed_in_user(request)
    context = _campaign_builder(
        request,
        user,
        CampaignForm(initial={"send_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
        QuestionFormSet(prefix="q"),
    )
    return render(request, "feedback/campaigns.html", context)


@login_required
@require_POST
@domain_errors
def create_campaign(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    queries.list_campaigns(user, limit=1)  # supervisors and admins only, before parsing
    form = CampaignForm(request.POST)
    questions = QuestionFormSet(request.POST, prefix="q")
    if not form.is_valid() or not questions.is_valid():
        errors = list(form.errors.items()) or [
            (name, e) for row in questions.forms for name, e in row.errors.items()
        ]
        if not errors:
            raise ValidationFailed(_("The questions could not be read."))
        field, messages_ = errors[0]
        label = form.fields[field].label if field in form.fields else ""
        raise ValidationFailed(f"{label}: {messages_[0]}" if label else str(messages_[0]))
    data = form.cleaned_data
    wanted = data["customers"]
    customers = list(
        Customer.objects.filter(pk__in=[n for n in wanted if n <= queries.MAX_ID]).filter(
            merged_into__isnull=True
        )
    )
    if len(customers) != len(wanted):
        missing = sorted(set(wanted) - {c.pk for c in customers})[0]
        raise ValidationFailed(
            _("Customer %(number)s does not exist."), code="unknown_customer", number=missing
        )
    survey = services.create_campaign(
        services.CampaignFields(
            title=data["title"],
            intro=data["intro"],
            questions=tuple(
                services.QuestionFields(
                    kind=row.cleaned_data["kind"],
                    text=row.cleaned_data["text"],
                    options=row.option_list(),
                    required=row.cleaned_data["required"],
                    is_satisfaction=row.cleaned_data["is_satisfaction"],
                )
                for row in questions.forms
                if row.cleaned_data.get("text", "").strip()
            ),
            send_at=data["send_at"],
            tiers=tuple(data["tiers"]),
            tag=data["tag"],
            contacted_within_days=data["contacted_within_days"],
            customers=tuple(customers),
            delivery=data["delivery"] or DeliveryChoice.TICKET_CHANNEL,
        ),
        actor=user,
    )
    messages.success(request, _("Survey scheduled."))
    return redirect("feedback:campaign", survey_id=survey.pk)


@login_required
@require_POST
@domain_errors
def survey_delivery(request: HttpRequest) -> HttpResponse:
    """How CSAT and NPS invitations are sent (supervisors and admins)."""
    user = signed_in_user(request)
    queries.survey_delivery_settings(user)  # supervisors and admins only, before parsing
    form = SurveyDeliveryForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose how each survey is sent."), code="invalid_choice")
    changed = [
        services.set_survey_delivery(kind, form.cleaned_data[kind], actor=user)
        for kind in (SurveyKind.CSAT, SurveyKind.NPS)
    ]
    if any(changed):
        messages.success(request, _("Saved: surveys are sent the way you chose."))
    return redirect("feedback:campaigns")


@login_required
@require_GET
@domain_errors
def campaign(request: HttpRequest, survey_id: int) -> HttpResponse:
    """A campaign survey's results per question; ``?format=csv`` or ``xlsx`` downloads every
    answer."""
    user = signed_in_user(request)
    survey = queries.get_campaign(user, survey_id)
    wanted = request.GET.get("format", "")
    if wanted in ("csv", "xlsx"):
        return exports.download(
            queries.campaign_answer_table(survey),
            name=f"survey-{survey.pk}-{timezone.localdate():%Y%m%d}",
            fmt=wanted,
            title=f"survey-{survey.pk}",
        )
    return render(
        request,
        "feedback/campaign.html",
        {
            "survey": survey,
            "results": queries.campaign_results(survey),
            "can_cancel": survey.state == CampaignState.SCHEDULED,
        },
    )


@login_required
@require_POST
@domain_errors
def cancel_campaign(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    survey: CampaignSurvey = queries.get_campaign(user, survey_id)
    services.cancel_campaign(survey, actor=user)
    messages.success(request, _("Survey cancelled."))
    return redirect("feedback:campaign", survey_id=survey_id)


# --- The customer page ------------------------------------------------------------------------


@login_required
@require_POST
@domain_errors
def customer_opt_out(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Record on the customer page that the customer wants no more surveys, or wants them
    again (the customer panel's switch)."""
    user = signed_in_user(request)
    customer = get_customer(user, customer_id)
    wanted = request.POST.get("opted_out", "")
    if wanted not in ("0", "1"):
        raise ValidationFailed(_("Choose whether the customer accepts surveys."))
    changed = services.set_survey_opt_out(customer, opted_out=wanted == "1", actor=user)
    if changed:
        messages.success(
            request,
            _("The customer will get no more surveys.")
            if wanted == "1"
            else _("The customer will get surveys again."),
        )
    return redirect(reverse("customers:detail", kwargs={"customer_id": customer.pk}))


# --- The ticket page --------------------------------------------------------------------------


@login_required
@require_POST
@domain_errors
def flag_internal(request: HttpRequest, number: int) -> HttpResponse:
    """Internal feedback from the ticket page's panel (内部反馈)."""
    user = signed_in_user(request)
    ticket = get_ticket_to_change(user, number)
    form = InternalFeedbackForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose what it is and describe it."))
    services.flag_internal_feedback(
        ticket, topic=form.cleaned_data["topic"], summary=form.cleaned_data["summary"], actor=user
    )
    messages.success(request, _("Thank you: your feedback is in the register."))
    return redirect(reverse("tickets:detail", kwargs={"number": number}))
