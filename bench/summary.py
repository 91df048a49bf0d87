"""The summary table of a run (Markdown), printed at the end and pasted into
docs/performance.md. ``python -m bench.summary [results.json]`` renders a saved run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.common import RESULTS


def _cell(row: dict[str, Any] | None) -> tuple[str, str]:
    if not row:
        return "—", "—"
    if "error" in row:
        return "failed", "—"
    if "skipped" in row:
        return "not run", "—"
    if not row.get("n"):
        return "no answer", "0"
    if row.get("errors", 0) >= row["n"]:
        return f"all {row['n']} failed", "0"
    latency = f"{row['p50']:.0f} / {row['p95']:.0f} / {row['p99']:.0f}"
    if row.get("errors"):
        latency += f" ({row['errors']} err)"
    return latency, f"{row['rps']:.0f}"


def _queries(target: dict[str, Any], name: str) -> str:
    value = target.get("queries", {}).get(name)
    if not isinstance(value, dict) or "queries" not in value:
        return "—"
    # Django keeps at most 9,000 queries in its log: that many means "at least".
    return "≥ 9,000" if value["queries"] >= 9000 else str(value["queries"])


def render(report: dict[str, Any]) -> str:
    targets = report.get("targets", {})
    scales = sorted({t["tickets"] for t in targets.values() if "tickets" in t})
    names: list[str] = []
    for target in targets.values():
        for name in target.get("workloads", {}):
            if name not in names:
                names.append(name)
    machine = report.get("machine", {})
    lines = [
        f"Machine: {machine.get('cpus')} cores, {machine.get('memory_gb')} GB, "
        f"PostgreSQL {machine.get('postgresql')} (synchronous_commit "
        f"{machine.get('synchronous_commit')}, shared_buffers {machine.get('shared_buffers')}), "
        f"load average at start {machine.get('load_average_at_start')}; "
        f"{report.get('arguments', {}).get('duration')} s per workload.",
        "",
    ]
    reference = report.get("reference", {})
    ref_rate = None
    if reference.get("runs"):
        parts = []
        for run in reference["runs"]:
            parts.append(
                f"{run['rows_per_s']:.0f} rows/s with {run['connections']} connection(s) "
                f"(p99 {run['p99']:.1f} ms)"
            )
            ref_rate = run["rows_per_s"]
        lines += [
            "Physical reference (raw psycopg INSERT of one ticket-sized row per transaction, "
            f"synchronous_commit {reference.get('synchronous_commit')}): " + "; ".join(parts),
            "",
        ]
    for scale in scales:
        by = {
            (t.get("app"), t.get("db")): t
            for label, t in targets.items()
            if t.get("tickets") == scale and "workloads" in t and "-wsgi-" not in label
        }
        pg = by.get(("bihuan", "postgres"))
        lite = by.get(("bihuan", "sqlite"))
        peer = by.get(("peer", "postgres"))
        header = ["workload"]
        if pg:
            header += ["Bihuan PG p50/p95/p99 ms", "req/s", "SQL"]
        if lite:
            header += ["Bihuan SQLite p50/p95/p99 ms", "req/s", "SQL"]
        if peer:
            header += ["peer p50/p95/p99 ms", "req/s", "SQL", "Bihuan/peer req/s"]
        lines += [f"### {scale:,} tickets", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for name in names:
            row = [name]
            for target in (pg, lite):
                if target:
                    latency, rps = _cell(target["workloads"].get(name))
                    row += [latency, rps, _queries(target, name)]
            if peer:
                latency, rps = _cell(peer["workloads"].get(name))
                row += [latency, rps, _queries(peer, name)]
                ours = (pg or {}).get("workloads", {}).get(name) or {}
                theirs = peer["workloads"].get(name) or {}
                if ours.get("rps") and theirs.get("rps"):
                    row.append(f"{ours['rps'] / theirs['rps']:.1f}×")
                else:
                    row.append("—")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        cpu_targets = [(label, t) for label, t in (("Bihuan PG", pg), ("peer", peer)) if t]
        if any(
            (row or {}).get("stack_cpu_ms")
            for _, t in cpu_targets
            for row in t["workloads"].values()
        ):
            lines.append(
                "CPU per request, ms (web workers / whole stack incl. PostgreSQL and Celery; "
                "not inflated by the machine's other load):"
            )
            lines.append("")
            lines.append("| workload | " + " | ".join(label for label, _ in cpu_targets) + " |")
            lines.append("|---|" + "---|" * len(cpu_targets))
            for name in names:
                cells = []
                for _, t in cpu_targets:
                    row = t["workloads"].get(name) or {}
                    cells.append(
                        f"{row['web_cpu_ms']:.0f} / {row['stack_cpu_ms']:.0f}"
                        if "stack_cpu_ms" in row
                        else "—"
                    )
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
        if pg and ref_rate and pg["workloads"].get("create", {}).get("rps"):
            share = pg["workloads"]["create"]["rps"] / ref_rate
            lines += [
                f"API creation on PostgreSQL: {pg['workloads']['create']['rps']:.0f} tickets/s = "
                f"{share:.1%} of the raw insert rate with as many connections.",
                "",
            ]
    lines += [
        "### Memory (MB)",
        "",
        "| target | layout | largest worker peak RSS | all workers peak RSS | whole stack PSS |",
        "|---|---|---|---|---|",
    ]
    for label, target in targets.items():
        memory = target.get("memory") or {}
        stack = (target.get("stack_memory") or {}).get("total_pss_mb", "—")
        largest = memory.get("max_worker_peak_rss_mb", "—")
        lines.append(
            f"| {label} | {target.get('layout', '—')} | {largest} "
            f"| {memory.get('sum_worker_peak_rss_mb', '—')} | {stack} |"
        )
    lines.append("")
    for label, target in targets.items():
        mixed = target.get("mixed")
        if not mixed:
            continue
        lines += [
            f"### Mixed load on {label}: {report['arguments'].get('mixed_agents')} agents every "
            f"10–30 s, tickets arriving at {report['arguments'].get('mixed_per_day'):,}/day",
            "",
            "| requests | n | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|",
        ]
        for name, row in sorted(mixed["requests"].items()):
            lines.append(
                f"| {name} | {row['n']} | {row['p50']:.0f} | {row['p95']:.0f} | "
                f"{row['p99']:.0f} | {row['errors']} |"
            )
        lines += ["", f"Whole stack during the mixed load (PSS, MB): {mixed['memory']}", ""]
    return "\n".join(lines)


CHART_WORKLOADS = [
    "create",
    "inbox_api_first",
    "inbox_html_first",
    "ticket_api",
    "ticket_html",
    "search_zh_html",
    "search_phone_api",
]


def chart(report: dict[str, Any]) -> str:
    """A Mermaid bar chart (rendered by GitHub and most Markdown viewers): requests/s of the
    main workloads for Bihuan on PostgreSQL at each scale and for the peer."""
    targets = report.get("targets", {})
    series = []
    for label, target in sorted(
        targets.items(), key=lambda item: (item[1].get("app", ""), item[1].get("tickets", 0))
    ):
        if target.get("db") != "postgres" or "workloads" not in target:
            continue
        values = [
            float((target["workloads"].get(name) or {}).get("rps") or 0) for name in CHART_WORKLOADS
        ]
        series.append((label, values))
    if not series:
        return ""
    top = max(max(v) for _, v in series) or 1
    lines = [
        "```mermaid",
        "xychart-beta",
        '    title "Requests per second on PostgreSQL (higher is better)"',
        "    x-axis [" + ", ".join(f'"{n}"' for n in CHART_WORKLOADS) + "]",
        f'    y-axis "req/s" 0 --> {int(top * 1.1) + 1}',
    ]
    for _label, values in series:
        lines.append("    bar [" + ", ".join(f"{v:.0f}" for v in values) + "]")
    lines.append("```")
    legend = ", ".join(f"bar {i + 1}: {label}" for i, (label, _) in enumerate(series))
    return "\n".join(lines) + f"\n\n{legend}\n"


def main() -> None:
    """Render one run, or several merged (later files add or replace targets)."""
    paths = [Path(p) for p in sys.argv[1:]] or [RESULTS / "latest.json"]
    report = json.loads(paths[0].read_text())
    for path in paths[1:]:
        extra = json.loads(path.read_text())
        report["targets"].update(extra.get("targets", {}))
        report.setdefault("reference", extra.get("reference", {}))
    print(render(report))
    print(chart(report))


if __name__ == "__main__":
    main()
