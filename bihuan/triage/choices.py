from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageField(models.TextChoices):
    CATEGORY = "category", _("Category")
    KIND = "kind", _("Request type")
    URGENCY = "urgency", _("Urgency")
    EMOTION = "emotion", _("Emotion")


class DecisionSource(models.TextChoices):
    RULE = "rule", _("Rule")
    MODEL = "model", _("Model")
    LEXICON = "lexicon", _("Emotion lexicon")
    COMBINED = "combined", _("Rule and model")


class RuleLanguage(models.TextChoices):
    ANY = "any", _("Any language")
    ZH = "zh", _("Chinese")
    EN = "en", _("English")
