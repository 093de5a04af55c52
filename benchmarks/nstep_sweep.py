"""n-step ablation (protocol §4.7): the point-mass benchmark once per horizon k, one data set.

Usage: python benchmarks/nstep_sweep.py [--preset quick] [--ks 1 2 5 10] [--out runs/nstep]
       [--methods inverse_dynamics fd_contrastive] [--data OTHER_RUN/data]
Each k gets its own benchmark folder OUT/k{K} (so every stage resumes); all of them share OUT/data,
or the data folder of an earlier run given with --data, so the corpora, finetuning demos and probe
episodes are identical across k. Prints success (mean ± SE over seeds) per method, k and demo
count, with the MLP probe's position error and the published point-mass values.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from dynarep.evaluate.stats import summarize
from dynarep.experiments.benchmark import run
from dynarep.experiments.presets import POINTMASS_PRESETS as PRESETS
from dynarep.experiments.report import LABELS, per_seed

# protocol.md §4.7, point mass, 2 demos (the paper's default finetuning size)
PUBLISHED_2_DEMOS = {
    "inverse_dynamics": {1: 0.72, 2: 0.63, 5: 0.62, 10: 0.58},
    "fd_contrastive": {1: 0.48, 2: 0.37, 5: 0.49, 10: 0.53},
}


def link_data(folder: Path, data: Path) -> None:
    """Point ``folder/data`` at the shared data folder (relative link, so the tree can move)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "data"
    if not link.exists():
        data.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(data.resolve(), folder.resolve()), target_is_directory=True)


def sweep_table(out: Path, ks: list[int], methods: list[str], demos: tuple[int, ...]) -> str:
    lines = [
        "| method | k | demos | success (mean ± SE) | probe MLP, val (mm) | published (2 demos) |",
        "|---|---|---|---|---|---|",
    ]
    success = {}  # k -> (method, demos) -> per-seed success; each k's results are read once
    for k in ks:
        records = [json.loads(x) for x in (out / f"k{k}" / "results.jsonl").read_text().splitlines()]
        success[k] = per_seed(records, "success")
    for method in methods:
        for k in ks:
            probe_file = out / f"k{k}" / "encoders" / method / "probe.json"
            probe = json.loads(probe_file.read_text()) if probe_file.exists() else {}
            probe_cell = f"{probe['probe/mlp/position/val_mm']:.1f}" if probe else "—"
            published = PUBLISHED_2_DEMOS.get(method, {}).get(k)
            for n in demos:
                s = summarize(success[k][(method, n)])
                cell = f"{published:.2f}" if published is not None and n == 2 else "—"
                lines.append(
                    f"| {LABELS.get(method, method)} | {k} | {n} | {s.mean:.2f} ± {s.se:.2f} "
                    f"| {probe_cell} | {cell} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="quick", choices=sorted(PRESETS), help="benchmark preset")
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 5, 10], help="horizons k")
    parser.add_argument("--out", type=Path, default=Path("runs/nstep"), help="sweep folder")
    parser.add_argument(
        "--methods", nargs="+", default=["inverse_dynamics", "fd_contrastive"], help="objectives with a k"
    )
    parser.add_argument("--data", type=Path, default=None, help="reuse this data folder (default OUT/data)")
    args = parser.parse_args()
    data = args.data or args.out / "data"
    for k in args.ks:
        print(f"k = {k}", flush=True)
        link_data(args.out / f"k{k}", data)
        run("pointmass", args.preset, args.out / f"k{k}", methods=tuple(args.methods), horizon=k)
    table = sweep_table(args.out, args.ks, args.methods, PRESETS[args.preset].demos)
    (args.out / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
