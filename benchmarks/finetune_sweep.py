"""Re-finetune a finished benchmark's frozen encoders with other finetuning settings.

Usage: python benchmarks/finetune_sweep.py RUN_DIR --steps 1000 2000 3000 [--demos 2]
       [--methods inverse_dynamics bc] [--encoders-from OTHER_RUN_DIR]
       [--variants dropout=0.1 dropout=0.5,weight_decay=0.01]
Reuses RUN_DIR's finetuning stores and (unless --encoders-from) its encoders; writes results under
RUN_DIR/sweeps/ and prints success mean ± SE per (method, steps, variant). A variant sets
``FinetuneConfig`` fields (comma-separated field=value). Answers "is it the encoder or the
finetuning?" without pretraining again. ``--methods`` takes encoder folder names, so
``--methods inverse_dynamics inverse_dynamics-pretrain1 inverse_dynamics-pretrain2`` crosses every
pretraining seed with every finetuning seed (the benchmark pairs seed i with encoder i mod n only),
which separates the encoder's share of a spread from the goal's.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import json
import multiprocessing
from dataclasses import asdict, replace
from pathlib import Path

from dynarep.evaluate.stats import summarize
from dynarep.experiments.benchmark import finetune_and_evaluate
from dynarep.experiments.presets import Preset


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="a finished `dynarep benchmark` folder")
    parser.add_argument("--steps", type=int, nargs="+", required=True, help="finetuning steps to try")
    parser.add_argument(
        "--variants", nargs="+", default=[""], help="FinetuneConfig overrides: dropout=0.5,weight_decay=0.01"
    )
    parser.add_argument("--demos", type=int, default=2, help="finetuning demos (default: 2)")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["inverse_dynamics", "bc"],
        help="frozen encoders: folder names under encoders/",
    )
    parser.add_argument("--encoders-from", type=Path, default=None, help="take encoders from this run")
    parser.add_argument("--workers", type=int, default=2, help="processes (default: 2)")
    args = parser.parse_args()
    stored = json.loads((args.run / "preset.json").read_text())
    preset = Preset.from_dict(stored)
    source = args.encoders_from or args.run
    tag = f"from-{source.name}" if args.encoders_from else "own"
    jobs = []
    for method in args.methods:
        for steps in args.steps:
            for variant in args.variants:
                overrides = parse_variant(variant)
                suffix = "".join(f"_{k}{v}" for k, v in overrides.items())
                for seed in range(preset.seeds):
                    name = f"{tag}/{method}_steps{steps}{suffix}_seed{seed}_demos{args.demos}"
                    jobs.append(
                        {
                            "method": method,
                            "seed": seed,
                            "demos": args.demos,
                            "store": str(args.run / "data" / f"finetune_seed{seed}"),
                            "encoder": str(source / "encoders" / method / "encoder.safetensors"),
                            "out": str(args.run / "sweeps" / "policies" / name),
                            "results": str(args.run / "sweeps" / "results" / f"{name}.jsonl"),
                            "preset": asdict(replace(preset, finetune_steps=steps)),
                            "finetune": overrides,
                            "steps": steps,
                            "variant": variant or "defaults",
                        }
                    )
    todo = [job for job in jobs if not Path(job["results"]).exists()]
    with futures.ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(finetune_and_evaluate, todo))
    print(f"| encoders | method | finetune steps | variant | success at {args.demos} demos (mean ± SE) |")
    print("|---|---|---|---|---|")
    for method in args.methods:
        for steps in args.steps:
            for variant in args.variants:
                name = variant or "defaults"
                per_seed = []
                for job in jobs:
                    if (job["method"], job["steps"], job["variant"]) == (method, steps, name):
                        lines = Path(job["results"]).read_text().splitlines()
                        per_seed.append(sum(json.loads(x)["success"] for x in lines) / len(lines))
                s = summarize(per_seed)
                print(f"| {source.name} | {method} | {steps} | {name} | {s.mean:.2f} ± {s.se:.2f} |")


def parse_variant(text: str) -> dict[str, float | bool]:
    """``dropout=0.5,standardize_states=true`` -> {"dropout": 0.5, "standardize_states": True}."""
    pairs = [item.split("=", 1) for item in text.split(",") if item]
    return {key: _value(value) for key, value in pairs}


def _value(text: str) -> float | bool:
    flags = {"true": True, "false": False}
    return flags[text.lower()] if text.lower() in flags else float(text)


if __name__ == "__main__":
    main()
