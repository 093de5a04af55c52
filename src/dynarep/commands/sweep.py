"""``dynarep sweep SPEC.json --out DIR``: a grid of benchmark runs sharing data and encoders."""

from __future__ import annotations

import argparse

VERBS = ("sweep",)


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    sweep = verbs.add_parser(
        "sweep",
        help="run (or resume) a grid of benchmark runs from a JSON spec, sharing data and encoders",
        description="Expand SPEC (suite, preset, 'set' overrides, a 'grid' of preset fields, "
        "methods, launcher and its options) into cells, one benchmark run each under DIR/cells/. "
        "Cells with the same data settings share one data folder, cells with the same pretraining "
        "settings share one encoders folder (every encoder is pretrained once). Launchers: local "
        "(default; launcher_options {'parallel': N}) and submitit (Slurm, or its local executor "
        "with {'cluster': 'local'}). Finished cells are skipped on a re-run; a failed cell is "
        "reported with its error and log and never stops the others. Writes DIR/sweep.md.",
    )
    sweep.add_argument("spec", help="sweep spec (JSON); examples in benchmarks/sweeps/")
    sweep.add_argument("--out", required=True, help="sweep folder")


def dispatch(args: argparse.Namespace) -> None:
    from dynarep.experiments.sweep import sweep

    print(sweep(args.spec, args.out))
