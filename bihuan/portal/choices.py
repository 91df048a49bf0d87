from django.db import models
from django.utils.translation import gettext_lazy as _


class CodePurpose(models.TextChoices):
    LOOKUP = "lookup", _("Follow one request")
    SIGN_IN = "sign_in", _("Sign in")
