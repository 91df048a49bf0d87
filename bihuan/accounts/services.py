"""Account use cases: API tokens, user preferences, agent availability and skills."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import AssignmentStrategy, Availability, Role
from bihuan.accounts.models import ApiToken, Skill, Team, User
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.events import notify, record_event, subject_type_of
from bihuan.core.models import Event

TOKEN_PREFIX = "bh_"  # noqa: S105  (a public prefix, not a secret)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, *, name: str, actor: User) -> tuple[ApiToken, str]:
    """Create a personal API token for ``user``; returns the row and the token shown once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("A token needs a name of 1–100 characters."), code="invalid_name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=plaintext[:10],
            digest=_digest(plaintext),
            created_at=timezone.now(),
        )
        record_event("token.created", token, actor=actor, data={"user": user.pk, "name": name})
    return token, plaintext


def revoke_api_token(token_id: int, *, actor: User) -> ApiToken:
    """Revoke one of the actor's own tokens (admins may revoke anyone's)."""
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update()
        if not actor.is_admin:
            tokens = tokens.filter(user=actor)
        token = tokens.filter(pk=token_id, revoked_at__isnull=True).first()
        if token is None:
            raise NotFound(_("Token not found."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event("token.revoked", token, actor=actor, data={"user": token.user_id})
    return token


def authenticate_token(plaintext: str) -> User | None:
    """The active user owning ``plaintext``, or None. Touches ``last_used_at`` at most hourly."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(plaintext), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        # A conditional UPDATE, not a save: concurrent requests never race on the row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def set_user_language(user: User, *, language: str) -> User:
    """Remember the user's interface language."""
    if language not in {"zh-hans", "en"}:
        raise ValidationFailed(_("Unsupported language."), code="invalid_language")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return user


def manages_agent(actor: User, user: User) -> bool:
    """Whether ``actor`` may see and change ``user``'s availability: themselves, an admin, or
    a supervisor of the user's department (directly or through a queue of that department)."""
    if actor.pk == user.pk or actor.is_admin:
        return True
    if actor.role != Role.SUPERVISOR or actor.department_id is None:
        return False
    if user.department_id == actor.department_id:
        return True
    return Team.objects.filter(department_id=actor.department_id, members=user).exists()


def set_availability(user: User, *, availability: str, actor: User) -> User:
    """Set an agent online, away or offline; assignment only picks online agents.

    Agents set their own; supervisors their department's agents; admins anyone's. Records
    ``agent.availability_changed`` (nothing when the value is unchanged)."""
    if availability not in Availability.values:
        raise ValidationFailed(_("Unknown availability."), code="invalid_availability")
    if not manages_agent(actor, user):
        raise NotFound(_("User not found."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.availability == availability:
            return locked
        before = locked.availability
        locked.availability = availability
        locked.availability_changed_at = timezone.now()
        locked.save(update_fields=["availability", "availability_changed_at"])
        record_event(
            "agent.availability_changed",
            locked,
            actor=actor,
            data={"from": before, "to": availability},
        )
    return locked


def create_skill(*, name: str, actor: User) -> Skill:
    """Add a skill agents can have and routing rules can require (admins only)."""
    if not actor.is_admin:
        raise NotFound(_("Page not found."))
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationFailed(_("A skill needs a name of 1–50 characters."), code="invalid_name")
    with transaction.atomic():
        if Skill.objects.filter(name__iexact=name).exists():
            raise ValidationFailed(
                _("The skill “%(name)s” already exists."), code="duplicate_skill", name=name
            )
        skill = Skill.objects.create(name=name)
        record_event("skill.created", skill, actor=actor, data={"name": name})
    return skill


def set_agent_skills(user: User, *, skills: Iterable[Skill], actor: User) -> User:
    """Replace the skills of an agent (admins only); records ``agent.skills_changed``."""
    if not actor.is_admin:
        raise NotFound(_("User not found."))
    wanted = sorted({skill.pk for skill in skills})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = sorted(locked.skills.values_list("pk", flat=True))
        if before == wanted:
            return locked
        locked.skills.set(wanted)
        record_event(
            "agent.skills_changed",
            locked,
            actor=actor,
            data={"from": before, "to": wanted},
        )
    return locked


def change_password(user: User, *, new_password: str, actor: User) -> User:
    """Set ``user``'s password (already checked by the password validators) and record
    ``account.password_changed`` (never the password itself)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.save(update_fields=["password"])
        record_event("account.password_changed", locked, actor=actor, data={"user": locked.pk})
    user.password = locked.password
    return user


def configure_queue(
    team: Team, *, assignment_strategy: str, offline_release_minutes: int, actor: User
) -> Team:
    """Set how a queue hands out new tickets and when an offline owner's tickets are offered
    again (admins only); records ``queue.configured`` with what changed."""
    if not actor.is_admin:
        raise NotFound(_("Page not found."))
    if assignment_strategy not in AssignmentStrategy.values:
        raise ValidationFailed(_("Unknown assignment strategy."), code="invalid_strategy")
    if not 0 <= offline_release_minutes <= 24 * 60:
        raise ValidationFailed(
            _("Offer tickets again after 0 to 1440 minutes."), code="invalid_release_minutes"
        )
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        changes = {
            name: [getattr(locked, name), value]
            for name, value in (
                ("assignment_strategy", assignment_strategy),
                ("offline_release_minutes", offline_release_minutes),
            )
            if getattr(locked, name) != value
        }
        if not changes:
            return locked
        for name, (_before, after) in changes.items():
            setattr(locked, name, after)
        locked.save(update_fields=list(changes))
        record_event("queue.configured", locked, actor=actor, data={"changes": changes})
    return locked


def record_sign_in_lockout(user: User, *, address: str, cooloff: timedelta) -> bool:
    """Tell ``user`` that sign-in to their account was locked after repeated failures (an
    ``account.locked`` event and a notification), once per lock-out period. Returns whether
    this call recorded it."""
    now = timezone.now()
    with transaction.atomic():
        # Lock the user row so that two refused attempts at once record one notice.
        locked = User.objects.select_for_update().get(pk=user.pk)
        recent = Event.objects.filter(
            verb="account.locked",
            subject_type=subject_type_of(locked),
            subject_id=locked.pk,
            occurred_at__gte=now - cooloff,
        )
        if recent.exists():
            return False
        event = record_event("account.locked", locked, actor=None, data={"address": address})
        notify(event, [locked])
    return True
