"""Who may see and change customers.

Department members (技术/售后/物流 colleagues asked for help) work on the tickets shared with
them but never open customer records: they see the customer's name on those tickets and
masked contacts, nothing more. Every other active role sees every customer. These are the
only checks; queries and services call them instead of testing roles themselves.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import Role
from bihuan.accounts.models import User
from bihuan.core.errors import PermissionDenied


def can_see_all_customers(user: User) -> bool:
    """Open any customer's full record (audited), search customers by phone or email."""
    return user.is_active and user.role != Role.DEPARTMENT_MEMBER


def can_change_customers(user: User) -> bool:
    """Create customers, link identities to them, change their profile."""
    return user.is_active and user.role != Role.DEPARTMENT_MEMBER


def require_customer_editor(user: User) -> None:
    """Raise before any write when ``user`` may not change customers."""
    if not can_change_customers(user):
        raise PermissionDenied(
            _("Your role may not create or change customers."), code="read_only_role"
        )
