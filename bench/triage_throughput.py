"""How fast triage decides: texts per second per core for rules + emotion lexicon, and for
rules + lexicon + the trained models, on the demo tickets' opening messages.

Run after `bihuan demo` (and `bihuan triage train` for the model figures):
    .venv/bin/python bench/triage_throughput.py [--repeat 5]
Prints the median of the repeats. Single process, so the figure is per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from bihuan.tickets.models import Message, Ticket
    from bihuan.triage.engine import decide
    from bihuan.triage.models import TriageRule
    from bihuan.triage.models_store import active_predictors
    from bihuan.triage.rules import compile_rules
    from bihuan.triage.services import category_parents

    firsts: dict[int, str] = {}
    for ticket_id, body in (
        Message.objects.filter(kind="customer").order_by("id").values_list("ticket_id", "body")
    ):
        firsts.setdefault(ticket_id, body)
    subjects = dict(Ticket.objects.values_list("pk", "subject"))
    texts = [f"{subjects[pk]}\n{body}" for pk, body in list(firsts.items())[: args.limit]]
    if not texts:
        sys.exit("No tickets: run `bihuan demo` first.")
    rules = compile_rules(TriageRule.objects.filter(is_active=True))
    parents = category_parents()
    predictors = active_predictors()
    decide(texts[0], rules=rules, predictors=predictors, category_parents=parents)  # warm jieba

    def rate(with_models: bool) -> float:
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for text in texts:
                decide(
                    text,
                    rules=rules,
                    predictors=predictors if with_models else {},
                    category_parents=parents,
                )
            runs.append(len(texts) / (time.perf_counter() - started))
        return statistics.median(runs)

    print(f"texts: {len(texts)}, rules: {len(rules)}, models: {sorted(predictors) or 'none'}")
    print(f"rules + lexicon:          {rate(False):8.0f} texts/s (median of {args.repeat})")
    if predictors:
        print(f"rules + lexicon + models: {rate(True):8.0f} texts/s (median of {args.repeat})")


if __name__ == "__main__":
    main()
