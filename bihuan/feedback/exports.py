"""The feedback report and the campaign surveys' answers as CSV or XLSX, safe to open in a
spreadsheet.

A cell whose text starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is written with a leading apostrophe, so neither Excel nor LibreOffice ever runs it;
numbers stay numbers. In the report the labels are the only text (queue, agent, category and
department names, which a person typed); in a survey's answers, customer names and free text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from bihuan.feedback.queries import ReportRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A number as it is; text defused when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_table(rows: Sequence[ReportRow]) -> list[list[Any]]:
    header = [
        _("Group"),
        _("Solved tickets"),
        _("With feedback"),
        _("Collection rate (%)"),
        _("CSAT answers"),
        _("CSAT satisfied share (%)"),
        _("CSAT average"),
        _("NPS answers"),
        _("NPS"),
        _("Analyses due"),
        _("Analyses on time (%)"),
        _("Rectifications due"),
        _("Rectifications on time (%)"),
        _("Acceptance rate (%)"),
        _("Internal feedback"),
        _("Internal-feedback conversion (%)"),
    ]
    table: list[list[Any]] = [header]
    for r in rows:
        table.append(
            [
                r.label,
                r.solved,
                r.collected,
                r.collection_rate,
                r.csat_answers,
                r.csat,
                r.csat_average,
                r.nps_answers,
                r.nps,
                r.analyses_due,
                r.analysis_on_time_rate,
                r.rectifications_due,
                r.rectification_on_time_rate,
                r.acceptance_rate,
                r.internal,
                r.conversion_rate,
            ]
        )
    return [[safe_cell(v) for v in line] for line in table]


def table_csv(table: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[safe_cell(v) for v in line] for line in table])
    # A BOM so that Excel opens the Chinese labels as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Sequence[Sequence[Any]], *, title: str) -> bytes:
    # Imported here: openpyxl brings NumPy, which no web worker should load at start for a
    # download that few requests ask for.
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for line in table:
        cells = [safe_cell(v) for v in line]
        # Control characters are not allowed in XLSX text: dropped, not an error.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in cells])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Sequence[Sequence[Any]], *, name: str, fmt: str, title: str) -> HttpResponse:
    """The table as a CSV or XLSX attachment (``fmt``), every text cell defused."""
    if fmt == "xlsx":
        response = HttpResponse(
            table_xlsx(table, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
