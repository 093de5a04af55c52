"""What ``dynarep sweep`` costs over running the same cells by hand.

Usage: python benchmarks/sweep_overhead.py [--finetune-steps 200 400 800]

The same cells twice, each from an empty folder: once as ``dynarep sweep`` (a spec with a grid over
``finetune_steps``: one data folder, one shared encoder), and once by hand, the way one would
without the sweep: ``benchmark.run`` per cell, the later cells' ``data`` and ``encoders`` linked to
the first cell's so that nothing is collected or pretrained twice. Prints both wall times and the
difference, which is the sweep machinery (spec checks, links, the data stage, status files, the
summary).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from dynarep.experiments.benchmark import run
from dynarep.experiments.presets import POINTMASS_PRESETS, Preset
from dynarep.experiments.sweep import sweep

SMALL = {
    "pretrain_episodes": 50,
    "pretrain_steps": {"inverse_dynamics": 200},
    "seeds": 2,
    "eval_episodes": 20,
    "probe_episodes": 20,
    "probe_mlp_steps": 200,
    "methods": ["inverse_dynamics", "state"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--finetune-steps", type=int, nargs="+", default=[200, 400, 800])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = root / "spec.json"
        spec.write_text(
            json.dumps(
                {
                    "suite": "pointmass",
                    "preset": "quick",
                    "set": {k: v for k, v in SMALL.items() if k != "methods"},
                    "methods": SMALL["methods"],
                    "grid": {"finetune_steps": args.finetune_steps},
                }
            )
        )
        started = time.perf_counter()
        sweep(spec, root / "sweep")
        swept = time.perf_counter() - started

        base = {**json.loads(json.dumps(POINTMASS_PRESETS["quick"].__dict__)), **SMALL}
        started = time.perf_counter()
        first = root / "hand" / "0"
        for i, steps in enumerate(args.finetune_steps):
            folder = root / "hand" / str(i)
            folder.mkdir(parents=True)
            if i:
                (folder / "data").symlink_to(first / "data", target_is_directory=True)
                (folder / "encoders").symlink_to(first / "encoders", target_is_directory=True)
            run("pointmass", Preset.from_dict({**base, "finetune_steps": steps}), folder, progress=False)
        by_hand = time.perf_counter() - started
    cells = len(args.finetune_steps)
    print(f"{cells} cells sharing one data folder and one encoder")
    print(f"  dynarep sweep   {swept:7.1f} s")
    print(f"  by hand         {by_hand:7.1f} s")
    print(f"  sweep machinery {swept - by_hand:+7.1f} s ({(swept - by_hand) / by_hand:+.1%})")


if __name__ == "__main__":
    main()
