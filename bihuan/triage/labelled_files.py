"""Reading labelled texts from CSV, TSV and JSON-lines files (training and evaluation data).

The format follows the file name: ``.csv``, ``.tsv`` / ``.tab``, ``.jsonl`` / ``.ndjson``.
Columns are named by their header (or JSON key), or by their 0-based position. Rows without
text are skipped and counted; so are rows without a label when labels are required.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

CSV_SUFFIXES = {".csv": ","}
TSV_SUFFIXES = {".tsv": "\t", ".tab": "\t"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = (*CSV_SUFFIXES, *TSV_SUFFIXES, *sorted(JSONL_SUFFIXES))
# Long complaint narratives exceed csv's default 128 KiB field limit.
csv.field_size_limit(2**31 - 1)

MultiLabelPolicy = Literal["drop", "first"]
Record = dict[str, Any] | list[str]


class LabelledFileError(ValueError):
    """The file cannot be read as labelled texts; the message says why and where."""


@dataclass(frozen=True)
class LabelledRows:
    """Texts and their labels (``labels`` is None when the file has no label column)."""

    path: Path
    texts: list[str]
    labels: list[str] | None
    skipped: int
    multi_label_rows: int = 0


@dataclass(frozen=True)
class ColumnSpec:
    """How to find the text and the label in a file."""

    text: str = "text"
    label: str = "label"
    has_header: bool = True
    # Labels such as "4,27" hold several labels: keep the first, or drop the row.
    label_separator: str | None = None
    multi_label: MultiLabelPolicy = "drop"
    # Label ids (0, 1, 2...) mapped to names by position, e.g. GoEmotions' emotions.txt.
    label_names: Sequence[str] | None = None


def read_label_names(path: Path) -> list[str]:
    """One label name per line; line N names label id N."""
    if not path.is_file():
        raise LabelledFileError(f"label names file not found: {path}")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


def read_labelled_file(
    path: Path, spec: ColumnSpec, *, require_labels: bool = True
) -> LabelledRows:
    """Read ``path``; raise :class:`LabelledFileError` on anything that is not usable."""
    if not path.is_file():
        raise LabelledFileError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LabelledFileError(
            f"{path}: unknown file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        if suffix in JSONL_SUFFIXES:
            header, records = _json_lines(path)
        else:
            delimiter = {**CSV_SUFFIXES, **TSV_SUFFIXES}[suffix]
            header, records = _delimited(path, delimiter, has_header=spec.has_header)
        return _collect(path, header, records, spec, require_labels=require_labels)
    except UnicodeDecodeError as exc:
        raise LabelledFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise LabelledFileError(f"{path}: malformed CSV: {exc}") from exc


def _delimited(
    path: Path, delimiter: str, *, has_header: bool
) -> tuple[list[str] | None, Iterator[Record]]:
    # Read eagerly: the file is closed before the rows are used.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        # QUOTE_NONE for TSV: tab-separated corpora (GoEmotions) carry bare quotes in text.
        if delimiter == "\t":
            rows = list(csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE))
        else:
            rows = list(csv.reader(handle, delimiter=delimiter))
    if not rows:
        raise LabelledFileError(f"{path}: the file is empty")
    if has_header:
        header = [name.strip() for name in rows[0]]
        return header, iter(rows[1:])
    return None, iter(rows)


def _json_lines(path: Path) -> tuple[list[str] | None, Iterator[Record]]:
    records: list[Record] = []
    keys: list[str] = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledFileError(f"{path}, line {number}: invalid JSON: {exc.msg}") from exc
            if isinstance(value, dict):
                if not keys:
                    keys = [str(key) for key in value]
                records.append(value)
            elif isinstance(value, list):
                records.append([_as_text(item) for item in value])
            else:
                raise LabelledFileError(f"{path}, line {number}: expected a JSON object")
    if not records:
        raise LabelledFileError(f"{path}: the file is empty")
    return (keys if isinstance(records[0], dict) else None), iter(records)


def _column(
    spec_value: str, header: list[str] | None, path: Path, role: str, *, by_name: bool
) -> str | int:
    """The key (JSON objects) or position (CSV rows) of a column, or an error naming the
    choices."""
    if header is not None and spec_value in header:
        return spec_value if by_name else header.index(spec_value)
    if spec_value.isdigit():
        position = int(spec_value)
        if header is None:
            return position
        if position < len(header):
            return header[position] if by_name else position
    if header is None:
        raise LabelledFileError(
            f"{path}: the file has no header; name the {role} column by its position (0, 1...)"
        )
    raise LabelledFileError(
        f"{path}: no {role} column {spec_value!r}; columns are: {', '.join(header)}"
    )


def _cell(record: Record, key: str | int) -> str:
    if isinstance(record, dict):
        return _as_text(record.get(str(key)))
    if isinstance(key, int) and key < len(record):
        return record[key]
    return ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def _collect(
    path: Path,
    header: list[str] | None,
    records: Iterator[Record],
    spec: ColumnSpec,
    *,
    require_labels: bool,
) -> LabelledRows:
    by_name = path.suffix.lower() in JSONL_SUFFIXES and header is not None
    text_key = _column(spec.text, header, path, "text", by_name=by_name)
    try:
        label_key: str | int | None = _column(spec.label, header, path, "label", by_name=by_name)
    except LabelledFileError:
        if require_labels:
            raise
        label_key = None
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    multi_label_rows = 0
    for record in records:
        text = _cell(record, text_key).strip()
        if not text:
            skipped += 1
            continue
        if label_key is None:
            texts.append(text)
            continue
        raw_label = _cell(record, label_key).strip()
        names = [raw_label]
        if spec.label_separator and spec.label_separator in raw_label:
            names = [part.strip() for part in raw_label.split(spec.label_separator)]
            names = [part for part in names if part]
            if len(names) > 1:
                multi_label_rows += 1
                if spec.multi_label == "drop":
                    skipped += 1
                    continue
        label = _label_name(names[0] if names else "", spec.label_names, path)
        if not label:
            skipped += 1
            continue
        texts.append(text)
        labels.append(label)
    if not texts:
        wanted = "both a text and a label" if label_key is not None else "a text"
        raise LabelledFileError(f"{path}: no row has {wanted}")
    return LabelledRows(
        path=path,
        texts=texts,
        labels=labels if label_key is not None else None,
        skipped=skipped,
        multi_label_rows=multi_label_rows,
    )


def _label_name(label: str, names: Sequence[str] | None, path: Path) -> str:
    if names is None or not label:
        return label
    if not label.isdigit() or int(label) >= len(names):
        raise LabelledFileError(f"{path}: label {label!r} has no name in the label names file")
    return names[int(label)]
