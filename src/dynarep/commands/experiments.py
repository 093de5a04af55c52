"""Verbs that run whole studies: ``benchmark``, ``sweep``, ``report``, ``theory``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from tyro.conf import Positional, arg

from dynarep.commands.base import Group, nested, register_verb
from dynarep.experiments.theory_config import TheoryConfig

ACTIONFREE_SUITE = "pointmass-actionfree"


@dataclass(frozen=True)
class BenchmarkArgs:
    """Collect, pretrain, finetune and evaluate every method over the preset's seeds; print the
    table; write results.jsonl, success.png, report.md and report.html. Suites: pointmass,
    pointmass-actionfree (learning from IDM labels), metaworld-pick-place, metaworld-door(-all),
    metaworld-ml45(-all), metaworld-r3m(-all). Re-running resumes."""

    suite: Annotated[str, Positional, arg(metavar="SUITE")]
    """Which benchmark (environment and split)."""
    preset: Literal["quick", "cpu", "paper"] = "quick"
    """quick (point mass 10 min, Metaworld 30 min on 2 CPU cores), cpu (1.5-3 h), paper (GPU sizes)."""
    out: str | None = None
    """Run folder (default: runs/SUITE-PRESET)."""
    methods: tuple[str, ...] | None = None
    """Rows instead of the preset's: objective names and the baselines scratch, random, state."""
    pretrained: tuple[str, ...] = ()
    """Extra frozen rows from local ResNet-18 weights as NAME=WEIGHTS, e.g. imagenet=resnet18.pth
    r3m=r3m.pt (torchvision, timm or R3M state dicts; nothing is downloaded)."""
    horizon: int | None = None
    """k for inverse_dynamics and fd_contrastive (default: the preset's, 1); use a new --out per k."""


@register_verb("benchmark", "run a whole comparison and write a report", BenchmarkArgs)
def benchmark(args: BenchmarkArgs) -> Path:
    from dynarep.experiments.suites import SUITES

    if args.suite not in (*SUITES, ACTIONFREE_SUITE):
        raise ValueError(
            f"unknown suite {args.suite!r}; choose one of {', '.join((*SUITES, ACTIONFREE_SUITE))}"
        )
    out = Path(args.out or f"runs/{args.suite}-{args.preset}")
    if args.suite == ACTIONFREE_SUITE:
        from dynarep.experiments.actionfree import run as run_actionfree

        if args.methods or args.pretrained or args.horizon is not None:
            raise ValueError(f"{ACTIONFREE_SUITE}: --methods, --pretrained and --horizon do not apply")
        print(run_actionfree(args.preset, out))
        return out
    from dynarep.experiments.benchmark import run

    rows = dict(name_value(item, "--pretrained") for item in args.pretrained)
    print(run(args.suite, args.preset, out, methods=args.methods, horizon=args.horizon, pretrained=rows))
    return out


def name_value(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name or not value:
        raise ValueError(f"{flag} {item!r}: expected NAME=PATH")
    return name, value


@dataclass(frozen=True)
class SweepArgs:
    """Expand SPEC (suite, preset, 'set' overrides, a 'grid' of preset fields, methods, launcher
    and its options) into cells, one benchmark run each under OUT/cells/. Cells with the same data
    settings share one data folder, cells with the same pretraining settings share one encoders
    folder (every encoder is pretrained once). Launchers: local (default; launcher_options
    {'parallel': N}) and submitit (Slurm, or its local executor with {'cluster': 'local'}).
    Finished cells are skipped on a re-run; a failed cell is reported with its error and log and
    never stops the others. Writes OUT/sweep.md."""

    spec: Annotated[str, Positional, arg(metavar="SPEC")]
    """Sweep spec (JSON); examples in benchmarks/sweeps/."""
    out: str
    """Sweep folder."""


@register_verb(
    "sweep", "run (or resume) a grid of benchmark runs from a JSON spec, sharing data and encoders", SweepArgs
)
def sweep(args: SweepArgs) -> Path:
    from dynarep.experiments.sweep import sweep

    print(sweep(args.spec, args.out))
    return Path(args.out)


@dataclass(frozen=True)
class ReportArgs:
    """Rebuild a benchmark folder's table.md, success.png, report.md and report.html (tables, plots
    and rollout GIFs inlined, paired comparisons, configurations, software versions) from its
    preset.json, results.jsonl, probes and run.json; or a sweep folder's sweep.md and sweep.html
    (the summary table, a plot per numeric grid axis, the spec) from its cells. Nothing is run."""

    run: Annotated[str, Positional, arg(metavar="RUN_OR_SWEEP")]
    """A dynarep benchmark or sweep folder."""
    suite: str | None = None
    """A benchmark folder's suite, for runs made before run.json recorded it (default: from run.json)."""


@register_verb(
    "report", "write a benchmark's or a sweep's Markdown and self-contained HTML report again", ReportArgs
)
def report(args: ReportArgs) -> None:
    from dynarep.experiments.report import rebuild_report
    from dynarep.experiments.sweep import rebuild_summary

    if (Path(args.run) / "spec.json").exists():
        print(f"sweep report written to {rebuild_summary(args.run)}")
    else:
        print(f"report written to {rebuild_report(args.run, args.suite)}")


@dataclass(frozen=True)
class TheoryArgs:
    """The paper's theory setting: principal angles between each learned linear encoder and the
    true observation subspace, and few-shot BC error in new contexts."""

    json: str | None = None
    """Also write all measurements to this JSON file."""
    experiment: Annotated[TheoryConfig, Group] = nested(TheoryConfig)


@register_verb("theory", "ID vs BC with linear encoders on the linear latent-context env", TheoryArgs)
def theory(args: TheoryArgs) -> None:
    from dynarep.experiments.theory import run, table

    results = run(args.experiment)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
