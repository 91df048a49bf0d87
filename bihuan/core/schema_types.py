"""String types for API inputs.

Text that will be stored or searched must not contain NUL: PostgreSQL refuses it in text
columns, so it would otherwise surface as a server error instead of a clear 422.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictStr, StringConstraints

NO_NUL = r"^[^\x00]*$"
# Required text: no NUL and at least one character that is not white space (the services
# trim text and refuse it empty, so the schema says so too).
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
# What the customer identity rules accept (bihuan.customers.identity), or empty: digits with
# spaces, dashes, dots or brackets and an optional leading +; an address with one @ and a
# dotted domain.
PHONE_PATTERN = r"^$|^\s*\+?[0-9\s\-().]{7,30}$"
EMAIL_PATTERN = r"^$|^\s*[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\s*$"

Tag = Annotated[StrictStr, StringConstraints(pattern=NO_NUL, min_length=1, max_length=50)]
