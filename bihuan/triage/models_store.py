"""Trained models on disk: where they live, loading them once per process, per version."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from bihuan.triage.engine import Prediction
from bihuan.triage.models import ModelVersion

_lock = threading.Lock()
_loaded: dict[str, LoadedModel] = {}


def models_dir() -> Path:
    path = Path(settings.DATA_DIR) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class LoadedModel:
    """A trained classifier for one field, answering one text at a time."""

    version: str
    classifier: Any

    def predict_one(self, text: str) -> Prediction:
        result = self.classifier.predict([text])[0]
        return Prediction(
            label=str(result.label),
            confidence=float(result.confidence),
            reasons=[str(term) for term in result.top_terms],
        )


def load(version: ModelVersion) -> LoadedModel:
    """The model of ``version``, loaded from disk the first time it is asked for."""
    from bihuan.triage.classifier import TextClassifier

    with _lock:
        cached = _loaded.get(version.version)
        if cached is None:
            cached = LoadedModel(version.version, TextClassifier.load(Path(version.path)))
            _loaded[version.version] = cached
        return cached


def active_predictors() -> dict[str, LoadedModel]:
    """The active model of each field that has one (one query; files cached per version)."""
    predictors: dict[str, LoadedModel] = {}
    for version in ModelVersion.objects.filter(is_active=True):
        if Path(version.path).exists():
            predictors[version.field] = load(version)
    return predictors
