"""The chat widget's pages: its settings (admins) and a demo host page with the widget."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bihuan.accounts.views import signed_in_user
from bihuan.channels.chat import queries, services
from bihuan.channels.chat.forms import WidgetForm
from bihuan.channels.chat.models import ChatWidget
from bihuan.core.errors import DomainError, NotFound
from bihuan.core.views import MAX_ID, domain_errors


def _fields(form: WidgetForm) -> services.WidgetFields:
    data = form.cleaned_data
    return services.WidgetFields(
        name=data["name"],
        allowed_origins=data["allowed_origins"],
        team=data["team"],
        greeting=data["greeting"],
        offline_message=data["offline_message"],
        max_chats_per_agent=data["max_chats_per_agent"],
        is_active=data["is_active"],
    )


def _script_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(static("chat/widget.js"))


@login_required
@require_GET
@domain_errors
def widget_list(request: HttpRequest) -> HttpResponse:
    widgets = list(queries.list_widgets(signed_in_user(request)))
    return render(request, "chat/widgets.html", {"widgets": widgets})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def widget_edit(request: HttpRequest, widget_id: int | None = None) -> HttpResponse:
    """Add a widget, or change one; a refusal is shown on the form with what was typed."""
    actor = signed_in_user(request)
    if widget_id is not None and widget_id > MAX_ID:
        raise NotFound(_("Page not found."))
    widget = queries.get_widget(actor, widget_id) if widget_id is not None else None
    if widget is None:
        queries.list_widgets(actor)  # admins only, also for a new one
    form = WidgetForm(request.POST or None, instance=widget or ChatWidget())
    if request.method == "POST" and form.is_valid():
        try:
            if widget is None:
                saved = services.create_widget(_fields(form), actor=actor)
            else:
                saved = services.update_widget(widget, _fields(form), actor=actor)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Chat widget “%(name)s” saved.") % {"name": saved.name})
            return redirect("chat:widget", widget_id=saved.pk)
    context = {"form": form, "widget": widget, "script_url": _script_url(request)}
    status = 400 if request.method == "POST" else 200  # a POST here was refused
    return render(request, "chat/widget_form.html", context, status=status)


@login_required
@require_POST
@domain_errors
def replace_key(request: HttpRequest, widget_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    if widget_id > MAX_ID:
        raise NotFound(_("Page not found."))
    widget = services.new_public_key(queries.get_widget(actor, widget_id), actor=actor)
    messages.success(request, _("The widget has a new public key; update the pages embedding it."))
    return redirect("chat:widget", widget_id=widget.pk)


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """A shop page with the widget embedded (``DEBUG`` or ``BIHUAN_CHAT_DEMO`` only)."""
    if not (settings.DEBUG or getattr(settings, "BIHUAN_CHAT_DEMO", False)):
        raise Http404
    widget = queries.demo_widget(request.GET.get("widget", "")[:64])
    if widget is None:
        raise Http404
    lang = request.GET.get("lang", "")
    context = {
        "widget": widget,
        "script_url": static("chat/widget.js"),
        "lang": lang if lang in ("zh", "en") else "",
    }
    return render(request, "chat/demo.html", context)
