"""``bihuan triage <subcommand>``: work with the triage text classifier from the shell.

``bihuan triage benchmark --train TRAIN.csv --test TEST.csv`` trains on one labelled file,
evaluates on the other and prints accuracy, macro-F1, per-label F1, training time and
prediction throughput. Its last line is machine-readable::

    accuracy=0.9123 macro_f1=0.9087 train_s=7.52 predict_per_s=5012

Each subcommand is one ``_add_<name>_arguments`` function registered in ``SUBCOMMANDS`` and one
``_handle_<name>`` method.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bihuan.triage.benchmark import BenchmarkResult, run_benchmark, split_dev
from bihuan.triage.choices import TriageField
from bihuan.triage.classifier import ClassifierSettings, TextClassifier
from bihuan.triage.labelled_files import (
    ColumnSpec,
    LabelledFileError,
    LabelledRows,
    read_label_names,
    read_labelled_file,
)

DEFAULT_DEV_FRACTION = 0.2


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise CommandError(f"--dev-fraction must be a number, got {value!r}") from exc
    if not 0.0 < number < 1.0:
        raise CommandError(f"--dev-fraction must be between 0 and 1, got {value}")
    return number


def _threshold(value: str) -> float | Literal["auto"]:
    if value == "auto":
        return "auto"
    try:
        number = float(value)
    except ValueError as exc:
        raise CommandError(f"--threshold must be 'auto' or a number, got {value!r}") from exc
    if not 0.0 <= number < 1.0:
        raise CommandError(f"--threshold must be in [0, 1), got {value}")
    return number


def _add_benchmark_arguments(parser: CommandParser) -> None:
    parser.add_argument("--train", required=True, type=Path, help="Labelled training file.")
    parser.add_argument(
        "--test",
        type=Path,
        help="Evaluation file (without a label column: predictions are only counted). "
        "Without --test, a stratified --dev-fraction of TRAIN is held out instead.",
    )
    parser.add_argument("--text-col", default="text", help="Text column name or 0-based index.")
    parser.add_argument("--label-col", default="label", help="Label column name or index.")
    parser.add_argument(
        "--no-header", action="store_true", help="CSV/TSV files have no header row."
    )
    parser.add_argument(
        "--dev-fraction",
        type=_fraction,
        default=None,
        help=f"Share of TRAIN held out for evaluation when there is no --test "
        f"(default {DEFAULT_DEV_FRACTION}).",
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the dev split.")
    parser.add_argument(
        "--none-label",
        default="none",
        help="The label meaning 'none of these' (e.g. oos); reported separately.",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=None,
        help="Answer the none label below this confidence; 'auto' chooses it on the training "
        "set. Default: auto when TRAIN has the none label, else no threshold.",
    )
    parser.add_argument(
        "--label-separator",
        default=None,
        help="Labels holding several values separated by this (e.g. ',') are multi-label.",
    )
    parser.add_argument(
        "--multi-label",
        choices=["drop", "first"],
        default="drop",
        help="With --label-separator: drop multi-label rows, or keep their first label.",
    )
    parser.add_argument(
        "--label-names",
        type=Path,
        default=None,
        help="A file with one label name per line, to name numeric label ids.",
    )


def _add_field_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--field",
        action="append",
        choices=list(TriageField.values),
        help="A field to work on (repeat for several; default: all).",
    )


def _add_train_arguments(parser: CommandParser) -> None:
    _add_field_arguments(parser)
    parser.add_argument(
        "--min-samples", type=int, default=30, help="Skip a field with fewer labelled tickets."
    )
    parser.add_argument(
        "--if-missing", action="store_true", help="Only train fields without an active model."
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="Train in the background worker (progress: bihuan jobs status).",
    )


def _add_nothing(parser: CommandParser) -> None:
    return None


SUBCOMMANDS: dict[str, tuple[str, Callable[[CommandParser], None]]] = {
    "benchmark": (
        "Train on one labelled file, evaluate on another, print quality and speed.",
        _add_benchmark_arguments,
    ),
    "train": (
        "Train new model versions on this organisation's worked tickets and activate them.",
        _add_train_arguments,
    ),
    "rollback": (
        "Re-activate the model version trained before the active one.",
        _add_field_arguments,
    ),
    "install-rules": ("Create the cold-start rules that do not exist yet.", _add_nothing),
    "release-offline": (
        "Offer open tickets of owners offline for too long to their queue again.",
        _add_nothing,
    ),
}


class Command(BaseCommand):
    help = "Triage text classifier: benchmark it on labelled files."
    # Works on files, not on the database or the URL map: the system checks add nothing.

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        for name, (help_text, add_arguments) in SUBCOMMANDS.items():
            add_arguments(subcommands.add_parser(name, help=help_text, description=help_text))

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_handle_{options['subcommand'].replace('-', '_')}")
        handler(**options)

    # ------------------------------------------------------------------ the organisation's models

    def _handle_train(self, **options: Any) -> None:
        from bihuan.core.errors import DomainError
        from bihuan.triage.models import ModelVersion
        from bihuan.triage.services import train_model
        from bihuan.triage.tasks import request_training

        if options["background"]:
            item = request_training(fields=options["field"], min_samples=options["min_samples"])
            self.stdout.write(f"training requested (due item {item.pk}): bihuan jobs status")
            return
        for field_name in options["field"] or TriageField.values:
            if (
                options["if_missing"]
                and ModelVersion.objects.filter(field=field_name, is_active=True).exists()
            ):
                self.stdout.write(f"{field_name}: has an active model, skipped")
                continue
            try:
                version = train_model(field_name, min_samples=options["min_samples"])
            except DomainError as exc:
                self.stdout.write(f"{field_name}: skipped ({exc})")
                continue
            metrics = version.metrics
            self.stdout.write(
                f"{field_name}: {version.version} on {version.sample_count} tickets, "
                f"held-out accuracy={metrics['accuracy']} macro_f1={metrics['macro_f1']} "
                f"train_s={metrics['train_seconds']}"
            )

    def _handle_rollback(self, **options: Any) -> None:
        from bihuan.core.errors import DomainError
        from bihuan.triage.services import rollback_model

        for field_name in options["field"] or TriageField.values:
            try:
                previous = rollback_model(field_name)
            except DomainError as exc:
                self.stdout.write(f"{field_name}: {exc}")
                continue
            now = previous.version if previous else "rules and lexicon only"
            self.stdout.write(f"{field_name}: now {now}")

    def _handle_install_rules(self, **options: Any) -> None:
        from bihuan.triage.services import install_default_rules

        self.stdout.write(f"{install_default_rules()} rules created")

    def _handle_release_offline(self, **options: Any) -> None:
        from bihuan.triage.services import release_tickets_of_offline_owners

        self.stdout.write(f"{release_tickets_of_offline_owners()} tickets offered again")

    # ------------------------------------------------------------------ benchmark

    def _handle_benchmark(self, **options: Any) -> None:
        label_names = None
        if options["label_names"] is not None:
            label_names = self._read(read_label_names, options["label_names"])
        spec = ColumnSpec(
            text=options["text_col"],
            label=options["label_col"],
            has_header=not options["no_header"],
            label_separator=options["label_separator"],
            multi_label=options["multi_label"],
            label_names=label_names,
        )
        train = self._read(read_labelled_file, options["train"], spec)
        if train.labels is None:  # pragma: no cover - labels are required when reading TRAIN
            raise CommandError(f"{options['train']}: no label column")
        self._describe("train", train)
        self._require_two_labels(train.labels, options["train"])
        train_texts, train_labels = train.texts, train.labels
        test_labels: list[str] | None
        if options["test"] is not None:
            if options["dev_fraction"] is not None:
                raise CommandError("--dev-fraction holds out part of TRAIN: use it without --test")
            test = self._read(read_labelled_file, options["test"], spec, require_labels=False)
            self._describe("test", test)
            test_texts, test_labels = test.texts, test.labels
            if test_labels is None:
                self.stdout.write(f"test: no label column {spec.label!r}: predictions only")
        else:
            fraction = options["dev_fraction"] or DEFAULT_DEV_FRACTION
            try:
                train_texts, train_labels, test_texts, test_labels = split_dev(
                    train.texts, train.labels, fraction=fraction, seed=options["seed"]
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"test: a dev split of TRAIN ({fraction:.0%}, seed {options['seed']}): "
                f"{len(train_texts)} rows to train, {len(test_texts)} to evaluate"
            )

        none_label = options["none_label"]
        threshold: float | Literal["auto"] | None = options["threshold"]
        if threshold is None:
            threshold = "auto" if none_label in set(train_labels) else 0.0
        try:
            classifier = TextClassifier(
                none_label=none_label, threshold=threshold, settings=ClassifierSettings()
            )
            result = run_benchmark(classifier, train_texts, train_labels, test_texts, test_labels)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._report(classifier, result)

    def _read(self, reader: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return reader(*args, **kwargs)
        except LabelledFileError as exc:
            raise CommandError(str(exc)) from exc

    def _describe(self, role: str, rows: LabelledRows) -> None:
        labels = f", {len(set(rows.labels))} labels" if rows.labels is not None else ""
        skipped = f"; skipped {rows.skipped} rows" if rows.skipped else ""
        multi = f" ({rows.multi_label_rows} multi-label)" if rows.multi_label_rows else ""
        self.stdout.write(f"{role}: {rows.path} ({len(rows.texts)} rows{labels}{skipped}{multi})")

    @staticmethod
    def _require_two_labels(labels: list[str], path: Path) -> None:
        distinct = set(labels)
        if len(distinct) < 2:
            found = f"only {next(iter(distinct))!r}" if distinct else "none"
            raise CommandError(f"{path}: need at least two distinct labels to train, found {found}")

    def _report(self, classifier: TextClassifier, result: BenchmarkResult) -> None:
        write = self.stdout.write
        metadata = classifier.metadata
        write(
            f"model: {metadata['script']} script, {metadata['n_features']} features, "
            f"{len(classifier.labels)} labels, temperature {classifier.temperature_:.3f}, "
            f"threshold {classifier.threshold_:.3f}"
        )
        if result.accuracy is None or result.macro_f1 is None:
            write("predicted labels:")
            for label, count in result.predicted_counts.items():
                write(f"  {count:>7}  {label}")
            write(
                f"predictions={result.n_test} train_s={result.train_seconds:.2f} "
                f"predict_per_s={result.predict_per_second:.0f}"
            )
            return
        width = max([5, *(len(score.label) for score in result.per_class)])
        write(f"{'label':<{width}}  {'f1':>6}  {'prec':>6}  {'recall':>6}  {'support':>7}")
        for score in result.per_class:
            write(
                f"{score.label:<{width}}  {score.f1:6.4f}  {score.precision:6.4f}  "
                f"{score.recall:6.4f}  {score.support:7d}"
            )
        write(f"accuracy:             {result.accuracy:.4f}  ({result.n_test} texts)")
        write(f"macro-F1:             {result.macro_f1:.4f}  ({len(result.per_class)} labels)")
        if result.none_recall is not None:
            none_label = classifier.none_label
            if result.in_scope_accuracy is not None:
                write(f"in-scope accuracy:    {result.in_scope_accuracy:.4f}")
            write(
                f"{none_label} recall:{' ' * max(1, 14 - len(none_label))}{result.none_recall:.4f}"
            )
            if result.none_precision is not None:
                write(
                    f"{none_label} precision:{' ' * max(1, 11 - len(none_label))}"
                    f"{result.none_precision:.4f}"
                )
        write(
            f"training:             {result.train_seconds:.2f} s "
            f"({result.train_cpu_seconds:.2f} s CPU, {result.n_train} texts)"
        )
        write(f"prediction:           {result.predict_per_second:.0f} texts/s (one batch)")
        write(f"latency:              {result.latency_ms:.2f} ms/text (one at a time)")
        write(
            f"accuracy={result.accuracy:.4f} macro_f1={result.macro_f1:.4f} "
            f"train_s={result.train_seconds:.2f} predict_per_s={result.predict_per_second:.0f}"
        )
