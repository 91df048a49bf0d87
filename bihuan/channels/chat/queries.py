"""Read paths of the chat widget's pages."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.channels.chat.models import ChatWidget
from bihuan.core.errors import NotFound
from bihuan.tickets.choices import OPEN_STATUSES


def _require_admin(viewer: User) -> None:
    if not viewer.is_active or not viewer.is_admin:
        raise NotFound(_("Page not found."))


def list_widgets(viewer: User) -> QuerySet[ChatWidget]:
    """Every widget with its visitors' open chats counted (admins only)."""
    _require_admin(viewer)
    return ChatWidget.objects.select_related("team").annotate(
        open_chats=Count(
            "visitors", filter=Q(visitors__ticket__status__in=OPEN_STATUSES), distinct=True
        ),
        visitor_count=Count("visitors", distinct=True),
    )


def get_widget(viewer: User, widget_id: int) -> ChatWidget:
    _require_admin(viewer)
    widget = ChatWidget.objects.select_related("team").filter(pk=widget_id).first()
    if widget is None:
        raise NotFound(_("Page not found."))
    return widget


def demo_widget(public_key: str) -> ChatWidget | None:
    """The widget the demo page embeds: the one named, else the first active one."""
    widgets = ChatWidget.objects.filter(is_active=True).order_by("id")
    if public_key:
        widgets = widgets.filter(public_key=public_key)
    return widgets.first()
