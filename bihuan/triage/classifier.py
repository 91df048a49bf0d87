"""A fast, offline text classifier for triage (category, request type, urgency, emotion).

The model is a scikit-learn pipeline: TF-IDF over word n-grams (jieba words for Chinese,
lower-cased words otherwise) and TF-IDF over character n-grams, joined by a ``FeatureUnion``,
feeding a linear SVM (``LinearSVC``). It learns any label set in any language from a few
hundred labelled tickets upwards, trains in seconds and predicts thousands of texts a second on
one core. Nothing is downloaded.

Each prediction comes with

- a **confidence**: the SVM scores turned into probabilities by a softmax whose temperature is
  fitted on out-of-fold scores of the training set (temperature scaling), so that "0.8" means
  right about 80 % of the time;
- the **top terms**: the words and character n-grams that pushed the text most towards its
  label (feature value × class weight), to show the agent *why*;
- **alternatives**: the next most likely labels.

Text unlike every class is answered with ``none_label``: either because the training set has
examples of that label (CLINC150's ``oos``), or because the best probability is below
``threshold``. With ``threshold="auto"`` the threshold is chosen on out-of-fold probabilities of
the training set, for the best expected accuracy if ``settings.none_share`` (10 %) of real
traffic fits no label.

Models are saved with joblib (a pickle: load only files this application wrote).
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
import numpy.typing as npt
import sklearn
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bihuan.triage.text import (
    corpus_cjk_ratio,
    has_cjk,
    join_tokens,
    latin_words,
    normalize,
    strip_punctuation,
    tokenize,
)

MODEL_FORMAT = "bihuan.triage.TextClassifier"
# Bump when the features, the text functions or the saved layout change: older files are refused.
MODEL_VERSION = "1"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


class ModelFileError(ValueError):
    """A model file is missing, not a triage model, or from an incompatible version."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """The answer for one text.

    ``confidence`` is the calibrated probability of ``label``. When the text is rejected by the
    threshold, ``label`` is the classifier's ``none_label`` and ``confidence`` is one minus the
    probability of the best label, and ``top_terms`` is empty; ``alternatives`` still lists the
    most likely labels with their probabilities, best first.
    """

    label: str
    confidence: float
    top_terms: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ClassifierSettings:
    """Hyper-parameters. The defaults were chosen on dev splits (see docs/triage.md).

    ``None`` means "chosen from the training data": character n-grams of 1-3 for mostly-CJK
    corpora and 2-5 (within word boundaries) otherwise; ``min_df`` 1 below 5,000 training texts
    and 2 above (rare n-grams add size, not accuracy, once there is enough data).
    """

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = None
    min_df: int | None = None
    c: float = 0.5
    # Sample weights (n / (k * count)) ** power: 0 = none, 1 = fully balanced classes.
    # Half-way keeps accuracy and lifts macro-F1 on skewed label sets.
    class_weight_power: float = 0.5
    calibration_folds: int = 3
    holdout_above: int = 20000
    # For threshold="auto": the share of real traffic assumed to fit none of the labels.
    none_share: float = 0.1
    max_top_terms: int = 5
    max_alternatives: int = 3
    random_state: int = 0


DEFAULT_TEMPERATURE = 0.5
LARGE_CORPUS = 5000


class TextClassifier:
    """Learns labels from texts; predicts a label, a confidence and the reasons for it."""

    def __init__(
        self,
        *,
        none_label: str = "none",
        threshold: float | Literal["auto"] = 0.0,
        settings: ClassifierSettings | None = None,
    ) -> None:
        if threshold != "auto" and not 0.0 <= threshold < 1.0:
            raise ValueError(f"threshold must be 'auto' or in [0, 1), got {threshold!r}")
        self.none_label = none_label
        self.threshold = threshold
        self.settings = settings or ClassifierSettings()
        self.labels: list[str] = []
        self.threshold_: float = 0.0
        self.temperature_: float = DEFAULT_TEMPERATURE
        self.metadata: dict[str, Any] = {}
        self.pipeline_: Any = None  # sklearn Pipeline: features -> LinearSVC
        self._runtime: _Runtime | None = None

    # ----------------------------------------------------------------- training

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        """Train on ``texts`` and their ``labels`` (any strings, at least two distinct)."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        label_list = [str(label) for label in labels]
        classes = sorted(set(label_list))
        if len(classes) < 2:
            raise ValueError("need at least two distinct labels to train a classifier")
        if self.threshold == "auto" and self.none_label not in classes:
            raise ValueError(
                f"threshold='auto' needs training examples labelled {self.none_label!r}"
            )
        started = dt.datetime.now(dt.UTC)
        normalized = [normalize(text) for text in texts]
        if not any(normalized):
            raise ValueError("all texts are empty")
        self.labels = classes
        index = {label: position for position, label in enumerate(classes)}
        y = np.array([index[label] for label in label_list], dtype=np.intp)
        weights = _sample_weights(y, len(classes), self.settings.class_weight_power)

        is_cjk = corpus_cjk_ratio(normalized) > 0.5
        features = self._build_features(is_cjk=is_cjk, n_samples=len(normalized))
        matrix = features.fit_transform(normalized)

        oof_scores, seen = self._out_of_fold_scores(matrix, y, weights)
        cv_metrics: dict[str, float] = {}
        if oof_scores is not None:
            self.temperature_ = _fit_temperature(oof_scores[seen], y[seen])
            oof_probabilities = _softmax(oof_scores / self.temperature_)
            cv_metrics = _metrics(oof_probabilities[seen].argmax(axis=1), y[seen], len(classes))
            if self.threshold == "auto":
                none_index = index[self.none_label]
                self.threshold_ = _choose_threshold(
                    oof_probabilities[seen], y[seen], none_index, self.settings.none_share
                )
        if self.threshold != "auto":
            self.threshold_ = float(self.threshold)
        elif oof_scores is None:
            raise ValueError("too few examples to choose a threshold automatically")

        svm = self._build_svm()
        svm.fit(matrix, y, sample_weight=weights)
        self.pipeline_ = Pipeline([("features", features), ("svm", svm)])
        self._runtime = None
        self.metadata = {
            "trained_at": started.isoformat(timespec="seconds"),
            "train_seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3),
            "n_samples": len(normalized),
            "n_features": int(matrix.shape[1]),
            "labels": list(classes),
            "label_counts": dict(collections.Counter(label_list)),
            "script": "cjk" if is_cjk else "latin",
            "settings": asdict(self.settings),
            "none_label": self.none_label,
            "threshold": self.threshold_,
            "temperature": self.temperature_,
            "metrics": {"cross_validation": cv_metrics} if cv_metrics else {},
            "sklearn_version": sklearn.__version__,
        }
        return self

    def _build_features(self, *, is_cjk: bool, n_samples: int) -> Any:
        settings = self.settings
        char_ngrams = settings.char_ngrams or ((1, 3) if is_cjk else (2, 5))
        min_df = settings.min_df or (2 if n_samples >= LARGE_CORPUS else 1)
        words = TfidfVectorizer(
            tokenizer=tokenize,
            token_pattern=None,
            lowercase=False,
            ngram_range=settings.word_ngrams,
            min_df=min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        chars = TfidfVectorizer(
            analyzer="char_wb",
            lowercase=False,
            ngram_range=char_ngrams,
            min_df=min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        return FeatureUnion([("word", words), ("char", chars)])

    def _build_svm(self) -> Any:
        return LinearSVC(C=self.settings.c, max_iter=5000, random_state=self.settings.random_state)

    def _out_of_fold_scores(
        self, matrix: Any, y: IntArray, weights: FloatArray
    ) -> tuple[FloatArray | None, npt.NDArray[np.bool_]]:
        """SVM scores of every training text from a model that did not see it.

        The vectorizers are fitted once on all texts (their vocabulary and IDF barely move
        between folds, and refitting them would triple the training time); only the SVM is
        refitted per fold. ``seen`` is False for texts whose class was absent from their
        training folds (classes with fewer examples than folds); they are left out.

        From ``settings.holdout_above`` texts on, one fold of five is scored instead of every
        text: thousands of held-out scores are plenty for one temperature and one threshold,
        and it halves the training time of large corpora.
        """
        n_classes = len(self.labels)
        counts = np.bincount(y, minlength=n_classes)
        folds = min(self.settings.calibration_folds, int(counts.max()))
        seen = np.zeros(len(y), dtype=bool)
        if folds < 2 or len(y) < 2 * folds:
            return None, seen
        scores = np.zeros((len(y), n_classes), dtype=np.float64)
        splitter = StratifiedKFold(
            n_splits=folds, shuffle=True, random_state=self.settings.random_state
        )
        holdout = len(y) >= self.settings.holdout_above
        if holdout:
            splitter = StratifiedKFold(
                n_splits=5, shuffle=True, random_state=self.settings.random_state
            )
        with warnings.catch_warnings():
            # "The least populated class has only N members": handled through ``seen``.
            warnings.filterwarnings(
                "ignore", message="The least populated class", category=UserWarning
            )
            splits = list(splitter.split(np.zeros(len(y)), y))
        if holdout:
            splits = splits[:1]
        for train_rows, held_rows in splits:
            fold_classes = np.unique(y[train_rows])
            if len(fold_classes) < 2:
                continue
            svm = self._build_svm()
            svm.fit(matrix[train_rows], y[train_rows], sample_weight=weights[train_rows])
            fold_scores = _two_column(svm.decision_function(matrix[held_rows]))
            # Classes missing from this fold's training rows can never win.
            block = np.full((len(held_rows), n_classes), -1e3)
            block[:, fold_classes] = fold_scores
            scores[held_rows] = block
            seen[held_rows] = np.isin(y[held_rows], fold_classes)
        if not seen.any():
            return None, seen
        return scores, seen

    # ---------------------------------------------------------------- prediction

    def _require_fitted(self) -> Any:
        if self.pipeline_ is None:
            raise RuntimeError("the classifier is not trained: call fit() or load() first")
        return self.pipeline_

    def _runtime_state(self) -> _Runtime:
        if self._runtime is None:
            self._runtime = _Runtime(self._require_fitted())
        return self._runtime

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated probabilities, one row per text, columns in the order of ``labels``."""
        runtime = self._runtime_state()
        matrix = runtime.transform([normalize(text) for text in texts])
        return _softmax(runtime.scores(matrix) / self.temperature_)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Label, confidence, reasons and alternatives for each text, in order."""
        runtime = self._runtime_state()
        normalized = [normalize(text) for text in texts]
        matrix = runtime.transform(normalized)
        probabilities = _softmax(runtime.scores(matrix) / self.temperature_)
        best = probabilities.argmax(axis=1)
        weights = runtime.weights
        terms = runtime.terms()
        settings = self.settings
        alternatives_count = min(settings.max_alternatives, len(self.labels))
        ranked = np.argsort(-probabilities, axis=1)[:, :alternatives_count]
        predictions: list[Prediction] = []
        for row in range(matrix.shape[0]):
            label_index = int(best[row])
            probability = float(probabilities[row, label_index])
            alternatives = tuple(
                (self.labels[int(i)], round(float(probabilities[row, i]), 4)) for i in ranked[row]
            )
            if probability < self.threshold_:
                predictions.append(
                    Prediction(
                        label=self.none_label,
                        confidence=round(1.0 - probability, 4),
                        alternatives=alternatives,
                    )
                )
                continue
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            columns = matrix.indices[start:end]
            contributions = matrix.data[start:end] * weights[columns, label_index]
            predictions.append(
                Prediction(
                    label=self.labels[label_index],
                    confidence=round(probability, 4),
                    top_terms=terms.top(
                        columns, contributions, normalized[row], settings.max_top_terms
                    ),
                    alternatives=alternatives,
                )
            )
        return predictions

    # ---------------------------------------------------------------- persistence

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # Derived caches: rebuilt on first use, not worth their size on disk.
        state["_runtime"] = None
        return state

    def save(self, path: str | Path) -> Path:
        """Write the trained model, its version and metadata to ``path`` (joblib)."""
        self._require_fitted()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "metadata": self.metadata,
            "classifier": self,
        }
        joblib.dump(payload, target, compress=3)
        return target

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a model written by :meth:`save`; refuse other files and other versions."""
        source = Path(path)
        if not source.is_file():
            raise ModelFileError(f"no model file at {source}")
        try:
            payload = joblib.load(source)
        except Exception as exc:  # a truncated or foreign file: pickle raises many types
            raise ModelFileError(f"{source} is not a readable model file: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{source} is not a triage text classifier")
        if payload.get("version") != MODEL_VERSION:
            raise ModelFileError(
                f"{source} has model version {payload.get('version')!r}, "
                f"this code reads version {MODEL_VERSION!r}: train the model again"
            )
        classifier = payload["classifier"]
        if not isinstance(classifier, cls):
            raise ModelFileError(f"{source} does not hold a {cls.__name__}")
        return classifier


# --------------------------------------------------------------------- helpers


def _sample_weights(y: IntArray, n_classes: int, power: float) -> FloatArray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    per_class = np.zeros(n_classes, dtype=np.float64)
    present = counts > 0
    per_class[present] = (len(y) / (n_classes * counts[present])) ** power
    weights: FloatArray = per_class[y]
    return weights


def _two_column(scores: Any) -> FloatArray:
    """Decision scores as (n, k); a binary SVM returns one column for the positive class."""
    array = np.asarray(scores, dtype=np.float64)
    if array.ndim == 1:
        return np.column_stack([-array, array])
    return array


def _softmax(scores: FloatArray) -> FloatArray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: FloatArray = exp / exp.sum(axis=1, keepdims=True)
    return result


def _fit_temperature(scores: FloatArray, y: IntArray) -> float:
    """The softmax temperature that minimises the log-loss of out-of-fold scores."""
    rows = np.arange(len(y))

    def negative_log_likelihood(log_temperature: float) -> float:
        probabilities = _softmax(scores / math.exp(log_temperature))
        return float(-np.log(np.clip(probabilities[rows, y], 1e-12, None)).mean())

    result = minimize_scalar(
        negative_log_likelihood, bounds=(math.log(0.01), math.log(10.0)), method="bounded"
    )
    return float(math.exp(result.x))


def _metrics(predicted: IntArray, y: IntArray, n_classes: int) -> dict[str, float]:
    accuracy = float((predicted == y).mean())
    f1_scores = []
    for label in range(n_classes):
        true_positive = int(((predicted == label) & (y == label)).sum())
        predicted_count = int((predicted == label).sum())
        actual_count = int((y == label).sum())
        if actual_count == 0:
            continue
        denominator = predicted_count + actual_count
        f1_scores.append(2 * true_positive / denominator if denominator else 0.0)
    return {
        "accuracy": round(accuracy, 4),
        "macro_f1": round(float(np.mean(f1_scores)), 4),
        "n": len(y),
    }


def _choose_threshold(
    probabilities: FloatArray, y: IntArray, none_index: int, none_share: float
) -> float:
    """The rejection threshold with the best expected accuracy when ``none_share`` of the
    incoming texts fit no class: (1 - share) x in-scope accuracy + share x out-of-scope recall.

    The share in the training set says little about the share in real traffic (a few
    "none" examples are enough to learn from), hence a stated prior. Ties go to the lowest.
    """
    in_scope = y != none_index
    if not in_scope.any() or in_scope.all():
        return 0.0
    best = probabilities.argmax(axis=1)
    top = probabilities.max(axis=1)
    candidates = np.unique(np.round(np.quantile(top, np.linspace(0.0, 0.9, 91)), 4))
    best_threshold, best_value = 0.0, -1.0
    for threshold in np.concatenate([[0.0], candidates]):
        rejected = (best == none_index) | (top < threshold)
        in_scope_accuracy = float(((best == y) & ~rejected)[in_scope].mean())
        out_of_scope_recall = float(rejected[~in_scope].mean())
        value = (1.0 - none_share) * in_scope_accuracy + none_share * out_of_scope_recall
        if value > best_value + 1e-9:
            best_threshold, best_value = float(threshold), value
    return best_threshold


class _Runtime:
    """What prediction needs, taken out of the fitted pipeline once per process.

    ``transform`` computes what the pipeline's ``FeatureUnion`` computes (counts of each
    vectorizer's n-grams, 1 + log tf, times idf, l2 per block, blocks side by side) without
    scikit-learn's per-call input checks, which cost milliseconds per call when a server
    classifies one ticket at a time. A test keeps the two equal.
    """

    def __init__(self, pipeline: Any) -> None:
        union = pipeline.named_steps["features"]
        self._union = union
        self.blocks: list[tuple[Callable[[str], list[str]], dict[str, int], int]] = []
        idf_parts = []
        offset = 0
        for _name, vectorizer in union.transformer_list:
            self.blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, offset))
            idf_parts.append(np.asarray(vectorizer.idf_, dtype=np.float64))
            offset += len(vectorizer.idf_)
        self.n_features = offset
        self.idf: FloatArray = np.concatenate(idf_parts)
        svm = pipeline.named_steps["svm"]
        coef = np.asarray(svm.coef_, dtype=np.float64)
        intercept = np.asarray(svm.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # a binary SVM keeps only the positive class's row
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        # Features x labels, C-ordered: ``matrix @ weights`` would otherwise copy the whole
        # transposed matrix on every call (milliseconds per text for large vocabularies).
        self.weights: FloatArray = np.ascontiguousarray(coef.T)
        self.intercept: FloatArray = intercept
        self._terms: _TermTable | None = None

    def transform(self, normalized: Sequence[str]) -> Any:
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        # One segment per (text, block): each is l2-normalised on its own, like each
        # vectorizer's output, and its columns are shifted by the block's offset.
        segment_ends = [0]
        segment_offsets: list[int] = []
        for text in normalized:
            for analyzer, vocabulary, offset in self.blocks:
                row: dict[int, int] = {}
                for term in analyzer(text):
                    column = vocabulary.get(term)
                    if column is not None:
                        row[column] = row.get(column, 0) + 1
                if row:
                    indices.extend(row)
                    counts.extend(row.values())
                    segment_ends.append(len(indices))
                    segment_offsets.append(offset)
            indptr.append(len(indices))
        ends = np.asarray(segment_ends, dtype=np.int64)
        lengths = ends[1:] - ends[:-1]
        columns = np.asarray(indices, dtype=np.int64)
        columns += np.repeat(np.asarray(segment_offsets, dtype=np.int64), lengths)
        data = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[columns]
        if len(data):
            norms = np.sqrt(np.add.reduceat(data * data, ends[:-1]))
            data /= np.repeat(norms, lengths)
        return sparse.csr_matrix(
            (data, columns.astype(np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(normalized), self.n_features),
        )

    def scores(self, matrix: Any) -> FloatArray:
        result: FloatArray = np.asarray(matrix @ self.weights) + self.intercept
        return result

    def terms(self) -> _TermTable:
        if self._terms is None:
            self._terms = _TermTable(list(self._union.get_feature_names_out()))
        return self._terms


class _TermTable:
    """Readable names of the features, and the choice of the few that explain a prediction.

    Word n-grams read as they are (Chinese words joined without spaces). A Latin character
    n-gram is a fragment ("efun"); it is shown as the word of the text that contains it
    ("refund"). A term that is part of an already chosen one (or contains it) is skipped, so
    the list does not repeat one word through its fragments.
    """

    def __init__(self, feature_names: list[str]) -> None:
        names: list[str] = []
        fragments: list[bool] = []
        for feature in feature_names:
            block, _, name = feature.partition("__")
            if block == "word":
                names.append(join_tokens(name.split(" ")))
                fragments.append(False)
            else:
                term = strip_punctuation(name)
                names.append(term)
                fragments.append(not has_cjk(term))
        self.names = names
        self.fragments = fragments

    def top(
        self,
        columns: IntArray,
        contributions: npt.NDArray[np.floating[Any]],
        text: str,
        limit: int,
    ) -> tuple[str, ...]:
        if limit <= 0 or len(columns) == 0:
            return ()
        pool = min(len(columns), limit * 6)
        candidates = np.argpartition(-contributions, pool - 1)[:pool]
        candidates = candidates[np.argsort(-contributions[candidates], kind="stable")]
        words: list[str] | None = None
        chosen: list[str] = []
        for position in candidates:
            if contributions[position] <= 0:
                break
            column = int(columns[position])
            term = self.names[column]
            if self.fragments[column]:
                if words is None:
                    words = latin_words(text)
                term = next((word for word in words if term in word), term)
            if not term or (len(term) < 3 and not has_cjk(term)):
                continue
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
            if len(chosen) == limit:
                break
        return tuple(chosen)


__all__ = [
    "MODEL_VERSION",
    "ClassifierSettings",
    "ModelFileError",
    "Prediction",
    "TextClassifier",
]
