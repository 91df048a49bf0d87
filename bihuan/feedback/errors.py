"""The feedback domain's refusals (see ``bihuan.core.errors``)."""

from __future__ import annotations

from bihuan.core.errors import Conflict, DomainError, NotFound


class SurveyLinkInvalid(NotFound):
    """The survey link was not made by us, or was cut short: the same answer for both."""

    code = "survey_link_invalid"


class SurveyLinkExpired(DomainError):
    """The link was ours but is no longer valid."""

    status = 410
    code = "survey_link_expired"


class SurveyAlreadyAnswered(Conflict):
    """The invitation has its answer and the window to change it has passed."""

    code = "survey_already_answered"
