"""``dynarep report RUN``: write a benchmark folder's report again, as Markdown and as one HTML page."""

from __future__ import annotations

import argparse

VERBS = ("report",)


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    from dynarep.experiments.suites import SUITES

    report = verbs.add_parser(
        "report",
        help="write a benchmark folder's report.md and a self-contained report.html again",
        description="Rebuild table.md, success.png, report.md and report.html (tables, plots inlined, "
        "paired comparisons, configurations, software versions) from a finished or partial benchmark "
        "folder's preset.json, results.jsonl, probes and run.json.",
    )
    report.add_argument("run", help="a dynarep benchmark folder")
    report.add_argument(
        "--suite",
        choices=sorted(SUITES),
        default=None,
        help="the folder's suite, for runs made before run.json recorded it (default: from run.json)",
    )


def dispatch(args: argparse.Namespace) -> None:
    from dynarep.experiments.report import rebuild_report

    print(f"report written to {rebuild_report(args.run, args.suite)}")
