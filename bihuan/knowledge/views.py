"""The knowledge pages: search and list, article, editor, history, review list, synonyms,
categories, reply templates, and the ticket page's suggestion panel and insertions.

The ticket page knows nothing of this app: it loads ``ticket_panel`` by its URL through htmx,
and its composer asks ``ticket_templates`` for templates when the agent types ``/``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.views import domain_errors
from bihuan.knowledge import auto_answers as auto_answer_services
from bihuan.knowledge import queries, services
from bihuan.knowledge.answerer import DEFAULT_THRESHOLD
from bihuan.knowledge.choices import ArticleStatus, Language, Scenario, UseKind
from bihuan.knowledge.forms import (
    ArticleForm,
    AutoAnswerForm,
    CategoryForm,
    MacroForm,
    PolicyChangeForm,
    SearchForm,
    StatusForm,
    SynonymForm,
    TemplateForm,
    VoteForm,
)
from bihuan.knowledge.markdown import plain_text, render_markdown
from bihuan.knowledge.models import Article
from bihuan.knowledge.permissions import can_change_article, can_change_template, is_editor

# --- Search and list -----------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def index(request: HttpRequest) -> HttpResponse:
    """Search (ranked, synonyms, English prefixes) or browse by status, category, tag."""
    user = signed_in_user(request)
    form = SearchForm(request.GET)
    if not form.is_valid():
        raise ValidationFailed(_("Invalid filter."))
    data = form.cleaned_data
    query = data["q"].strip()
    page = None
    if query:
        articles = queries.search_articles(user, query, language=data["language"])
    else:
        page = queries.list_articles(
            user,
            queries.ArticleFilter(
                status=data["status"] or ("" if data["mine"] else ArticleStatus.PUBLISHED),
                category=data["category"],
                tag=data["tag"],
                language=data["language"],
                mine=data["mine"],
            ),
            cursor=data["cursor"] or None,
        )
        articles = page.items
    return render(
        request,
        "knowledge/index.html",
        {
            "form": form,
            "query": query,
            "articles": articles,
            "page": page,
            "categories": queries.categories(),
            "is_editor": is_editor(user),
        },
    )


# --- One article -------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    """An article as readers see it (sanitised HTML); every opening counts as a view."""
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    if item.is_published:
        services.record_article_use(item, kind=UseKind.VIEW, actor=user)
        item.view_count += 1  # the service counted it in the database (F()), not on ``item``
    translations = queries.translations(user, item)
    return render(
        request,
        "knowledge/article.html",
        {
            "article": item,
            "body_html": mark_safe(render_markdown(item.body)),  # noqa: S308 - sanitised by nh3
            "answer_html": mark_safe(render_markdown(item.answer)) if item.answer else "",  # noqa: S308
            "translations": translations,
            "task": queries.open_review_task(item),
            "can_change": can_change_article(user, item),
            "is_editor": is_editor(user),
            "transitions": _transitions(user, item),
            "missing_languages": [
                (v, label)
                for v, label in Language.choices
                if v != item.language and v not in {t.language for t in translations}
            ],
        },
    )


def _transitions(user: Any, item: Article) -> list[tuple[str, str]]:
    result = []
    for (before, after), who in services.TRANSITIONS.items():
        if before != item.status or not can_change_article(user, item):
            continue
        if who == "editor" and not is_editor(user):
            continue
        result.append((str(after), str(ArticleStatus(after).label)))
    return result


def _save_article(
    request: HttpRequest, form: ArticleForm, item: Article | None, translation_of: Article | None
) -> HttpResponse | None:
    user = signed_in_user(request)
    if not form.is_valid():
        return None
    try:
        if item is None:
            item = services.create_article(
                form.fields_value(), actor=user, translation_of=translation_of
            )
            messages.success(request, _("Article saved as a draft."))
        else:
            item = services.update_article(
                item,
                form.fields_value(),
                actor=user,
                expected_version=form.cleaned_data.get("version"),
            )
            messages.success(request, _("Article saved."))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        form.add_error(None, str(exc))
        return None
    return redirect("knowledge:article", article_id=item.pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def article_new(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None)
    if request.method == "POST":
        response = _save_article(request, form, None, None)
        if response is not None:
            return response
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": None},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def article_translate(request: HttpRequest, article_id: int) -> HttpResponse:
    """Write the translation of an article (the new one joins its translation group)."""
    user = signed_in_user(request)
    original = queries.get_article(user, article_id)
    other = next(v for v in Language.values if v != original.language)
    initial = {
        "language": other,
        "audience": original.audience,
        "category": original.category_id or "",
        "tags": " ".join(t.name for t in original.tags.all()),
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        response = _save_article(request, form, None, original)
        if response is not None:
            return response
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": None, "original": original},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    if not can_change_article(user, item):
        raise NotFound(_("Article not found."))
    initial = {
        "title": item.title,
        "body": item.body,
        "answer": item.answer,
        "language": item.language,
        "audience": item.audience,
        "category": item.category_id or "",
        "tags": " ".join(t.name for t in item.tags.all()),
        "review_by": item.review_by,
        "version": item.version_number,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        response = _save_article(request, form, item, None)
        if response is not None:
            return response
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": item},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
@domain_errors
def article_status(request: HttpRequest, article_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose a status."))
    item = services.change_article_status(item, to=form.cleaned_data["status"], actor=user)
    messages.success(
        request, _("The article is now: %(status)s.") % {"status": item.get_status_display()}
    )
    return redirect("knowledge:article", article_id=item.pk)


@login_required
@require_POST
@domain_errors
def article_vote(request: HttpRequest, article_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    form = VoteForm(request.POST)
    if not form.is_valid() or not item.is_published:
        raise ValidationFailed(_("Invalid vote."))
    kind = UseKind.HELPFUL if form.cleaned_data["helpful"] == "yes" else UseKind.UNHELPFUL
    services.record_article_use(item, kind=kind, actor=user)
    messages.success(request, _("Thank you for your vote."))
    return redirect("knowledge:article", article_id=item.pk)


@login_required
@require_POST
@domain_errors
def article_review(request: HttpRequest, article_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    item = services.complete_review(item, actor=user)
    messages.success(
        request,
        _("Marked as current; next review by %(date)s.") % {"date": item.review_by},
    )
    return redirect("knowledge:article", article_id=item.pk)


# --- History ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add" | "del" | "same"
    text: str


def _diff(before: str, after: str) -> list[DiffLine]:
    lines = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        code, text = line[:2], line[2:]
        if code == "+ ":
            lines.append(DiffLine("add", text))
        elif code == "- ":
            lines.append(DiffLine("del", text))
        elif code == "  ":
            lines.append(DiffLine("same", text))
    return lines


@login_required
@require_GET
@domain_errors
def versions(request: HttpRequest, article_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    return render(
        request,
        "knowledge/versions.html",
        {
            "article": item,
            "versions": queries.list_versions(item),
            "can_change": can_change_article(user, item),
        },
    )


@login_required
@require_GET
@domain_errors
def version(request: HttpRequest, article_id: int, version_id: int) -> HttpResponse:
    """One version, with what it changed against the version before it."""
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    shown = queries.get_version(item, version_id)
    before = queries.previous_version(shown)
    return render(
        request,
        "knowledge/version.html",
        {
            "article": item,
            "version": shown,
            "before": before,
            "title_changed": before is not None and before.title != shown.title,
            "body_diff": _diff(before.body if before else "", shown.body),
            "answer_diff": _diff(before.answer if before else "", shown.answer),
            "can_change": can_change_article(user, item),
        },
    )


@login_required
@require_POST
@domain_errors
def version_restore(request: HttpRequest, article_id: int, version_id: int) -> HttpResponse:
    user = signed_in_user(request)
    item = queries.get_article(user, article_id)
    shown = queries.get_version(item, version_id)
    item = services.restore_version(item, version=shown, actor=user)
    messages.success(request, _("Version %(number)s restored.") % {"number": shown.number})
    return redirect("knowledge:article", article_id=item.pk)


# --- Keeping current -------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def review(request: HttpRequest) -> HttpResponse:
    """Flagged and stale articles: the viewer's own (editors: everyone's)."""
    user = signed_in_user(request)
    return render(
        request,
        "knowledge/review.html",
        {"rows": queries.review_list(user), "is_editor": is_editor(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def policy_change(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not is_editor(user):
        raise PermissionDenied(_("Only supervisors and admins may do this."))
    form = PolicyChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.flag_policy_change(
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                tag=form.cleaned_data["tag"],
                query=form.cleaned_data["query"],
                actor=user,
            )
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            count = change.review_tasks.count()
            messages.success(
                request,
                _("%(count)s articles flagged for review within 24 hours.") % {"count": count},
            )
            return redirect("knowledge:review")
    return render(
        request, "knowledge/policy_change.html", {"form": form}, status=422 if form.errors else 200
    )


# --- Synonyms and categories ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def synonyms(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not is_editor(user):
        raise PermissionDenied(_("Only supervisors and admins may do this."))
    form = SynonymForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_synonym(terms=form.cleaned_data["terms"], actor=user)
        except ValidationFailed as exc:
            form.add_error("terms", str(exc))
        else:
            messages.success(request, _("Synonyms added."))
            return redirect("knowledge:synonyms")
    return render(
        request,
        "knowledge/synonyms.html",
        {"form": form, "rows": queries.list_synonyms()},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
@domain_errors
def synonym_delete(request: HttpRequest, synonym_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.delete_synonym(queries.get_synonym(user, synonym_id), actor=user)
    messages.success(request, _("Synonyms removed."))
    return redirect("knowledge:synonyms")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def auto_answers(request: HttpRequest) -> HttpResponse:
    """Automatic answers per channel: supervisors and admins see what they did, admins switch
    them on or off (one channel per form)."""
    user = signed_in_user(request)
    if not is_editor(user):
        raise PermissionDenied(_("Only supervisors and admins may do this."))
    form = AutoAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            auto_answer_services.configure_auto_answers(
                auto_answer_services.ChannelSetting(
                    channel=data["channel"],
                    is_enabled=data["is_enabled"],
                    threshold=data["threshold"],
                    sender=data["sender"],
                ),
                actor=user,
            )
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Automatic answers saved."))
            return redirect("knowledge:auto_answers")
    return render(
        request,
        "knowledge/auto_answers.html",
        {
            "form": form,
            "rows": queries.auto_answer_overview(),
            "senders": form.fields["sender"].queryset,  # type: ignore[attr-defined]
            "default_threshold": DEFAULT_THRESHOLD,
            "can_change": user.is_admin,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def categories(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not is_editor(user):
        raise PermissionDenied(_("Only supervisors and admins may do this."))
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_category(
                name=form.cleaned_data["name"], parent=form.parent_value(), actor=user
            )
        except DomainError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Category added."))
            return redirect("knowledge:categories")
    return render(
        request,
        "knowledge/categories.html",
        {"form": form, "rows": queries.categories()},
        status=422 if form.errors else 200,
    )


# --- Reply templates ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def templates(request: HttpRequest) -> HttpResponse:
    """Shared templates and the viewer's own; a form to write a new one."""
    user = signed_in_user(request)
    form = TemplateForm(request.POST or None, can_share=is_editor(user))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_template(form.fields_value(), actor=user)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Template saved."))
            return redirect("knowledge:templates")
    rows = queries.manageable_templates(user)
    return render(
        request,
        "knowledge/templates.html",
        {
            "form": form,
            "rows": [(t, can_change_template(user, t)) for t in rows],
            "scenarios": Scenario.choices,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    user = signed_in_user(request)
    template = queries.get_template(user, template_id)
    if not can_change_template(user, template):
        raise NotFound(_("Template not found."))
    initial = {
        "title": template.title,
        "scenario": template.scenario,
        "language": template.language,
        "body": template.body,
        "shared": template.is_shared,
        "is_active": template.is_active,
    }
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_template(
                template,
                form.fields_value(),
                actor=user,
                is_active=bool(form.cleaned_data.get("is_active")),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Template saved."))
            return redirect("knowledge:templates")
    return render(
        request,
        "knowledge/template_form.html",
        {"form": form, "template": template},
        status=422 if form.errors else 200,
    )


# --- The ticket page ------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def ticket_panel(request: HttpRequest, number: int) -> HttpResponse:
    """Suggested articles for the ticket's text, loaded into the ticket page by htmx."""
    user = signed_in_user(request)
    ticket = queries.get_ticket(user, number)
    query = request.GET.get("q", "").strip()[:200]
    if query:
        articles = queries.search_articles(user, query, limit=queries.SUGGESTIONS)
    else:
        articles = queries.suggestions_for_ticket(user, ticket)
    return render(
        request,
        "knowledge/_ticket_panel.html",
        {
            "ticket": ticket,
            "query": query,
            "rows": [(a, plain_text(a.answer or a.body)[:160]) for a in articles],
            "macros": queries.list_macros(),
            "auto_answer": queries.auto_answer_for_ticket(ticket),
        },
    )


@login_required
@require_POST
@domain_errors
def ticket_insert_article(request: HttpRequest, number: int, article_id: int) -> HttpResponse:
    """The text to insert into the reply (counted as an insertion)."""
    user = signed_in_user(request)
    ticket = queries.get_ticket(user, number)
    item = queries.get_article(user, article_id)
    text = services.record_article_use(item, kind=UseKind.INSERT, actor=user, ticket=ticket)
    return JsonResponse({"text": text})


@login_required
@require_GET
@domain_errors
def ticket_templates(request: HttpRequest, number: int) -> HttpResponse:
    """Templates matching what the agent typed after ``/`` (JSON for the composer)."""
    user = signed_in_user(request)
    ticket = queries.get_ticket(user, number)
    rows = queries.list_templates(user, query=request.GET.get("q", "")[:100])
    # The ticket's language first: an English customer gets the English wording on top.
    language = queries.ticket_language(ticket)
    rows.sort(key=lambda t: t.language != language)
    return JsonResponse(
        {
            "templates": [
                {
                    "id": t.pk,
                    "title": t.title,
                    "scenario": t.get_scenario_display(),
                    "language": t.language,
                    "preview": t.body[:80],
                    "url": reverse("knowledge:ticket_insert_template", args=[ticket.pk, t.pk]),
                }
                for t in rows
            ]
        }
    )


@login_required
@require_POST
@domain_errors
def ticket_insert_template(request: HttpRequest, number: int, template_id: int) -> HttpResponse:
    """The template rendered for this ticket (its use counted)."""
    user = signed_in_user(request)
    ticket = queries.get_ticket(user, number)
    template = queries.get_template(user, template_id)
    return JsonResponse({"text": services.use_template(template, ticket=ticket, actor=user)})


# --- Macros ------------------------------------------------------------------------------------


def _macro_form_page(
    request: HttpRequest, form: MacroForm, macro: Any, template_name: str
) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_macro(form.fields_value(), actor=user, macro=macro)
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Macro saved."))
            return redirect("knowledge:macros")
    return render(
        request,
        template_name,
        {"form": form, "macro": macro, "rows": queries.list_macros(active_only=False)},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def macros(request: HttpRequest) -> HttpResponse:
    """Macros (supervisors and admins): a template and field changes applied in one click."""
    if not is_editor(signed_in_user(request)):
        raise PermissionDenied(_("Only supervisors and admins may do this."))
    return _macro_form_page(request, MacroForm(request.POST or None), None, "knowledge/macros.html")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def macro_edit(request: HttpRequest, macro_id: int) -> HttpResponse:
    macro = queries.get_macro(signed_in_user(request), macro_id, to_edit=True)
    initial = {
        "title": macro.title,
        "template": macro.template_id,
        "status": macro.status,
        "priority": macro.priority,
        "category": macro.category_id,
        "add_tags": macro.add_tags,
    }
    form = MacroForm(request.POST or None, initial=initial)
    return _macro_form_page(request, form, macro, "knowledge/macros.html")


@login_required
@require_POST
@domain_errors
def ticket_apply_macro(request: HttpRequest, number: int, macro_id: int) -> HttpResponse:
    """Apply a macro to the ticket (reply and field changes in one service call)."""
    user = signed_in_user(request)
    ticket = queries.get_ticket(user, number)
    macro = queries.get_macro(user, macro_id)
    services.apply_macro(macro, ticket=ticket, actor=user)
    messages.success(request, _("Macro “%(title)s” applied.") % {"title": macro.title})
    return redirect("tickets:detail", number=ticket.pk)


@login_required
@require_GET
@domain_errors
def usage(request: HttpRequest) -> HttpResponse:
    """The knowledge-base usage rate per agent (last 30 days), top articles and templates."""
    report = queries.usage_report(signed_in_user(request))
    return render(request, "knowledge/usage.html", {"report": report})
