"""Does offline evaluation rank encoders as rollouts do? Point mass, on a finished benchmark run.

Usage: python benchmarks/offline_vs_rollout.py RUN [--extra 20] [--demos 2] [--steps 2000]

RUN is a ``dynarep benchmark pointmass`` folder. For each finetuning seed i it collects the
finetuning set again with ``extra`` more episodes of the same hidden goal (the first ``demos``
episodes are the benchmark's own demos), runs ``evaluate_offline`` on every encoder of the run
and the state oracle (head trained on ``demos`` episodes, scored on the rest), and compares the
methods' mean held-out R² (and MSE) with their mean rollout success in RUN/results.jsonl by
Spearman's rank correlation. The scratch baseline has no frozen encoder and is left out.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from dynarep.data.collect import CollectSpec, collect
from dynarep.data.store import EpisodeStore
from dynarep.envs import env_config_from_dict
from dynarep.evaluate.offline import STATE, OfflineConfig, evaluate_offline


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (average ranks for ties)."""

    def ranks(values: list[float]) -> np.ndarray:
        values = np.asarray(values)
        order = values.argsort()
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values), dtype=float)
        for value in np.unique(values):  # ties share their mean rank
            ranked[values == value] = ranked[values == value].mean()
        return ranked

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--extra", type=int, default=20)
    parser.add_argument("--demos", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    run = Path(args.run)
    encoders = {p.name: p for p in sorted((run / "encoders").iterdir()) if (p / "encoder.json").exists()}
    names = [*encoders, STATE]
    offline: dict[str, list[dict]] = {name: [] for name in names}
    for finetune_store in sorted((run / "data").glob("finetune_seed*")):
        info = EpisodeStore(finetune_store).info
        spec_fields = {f.name for f in fields(CollectSpec)}
        spec = {k: v for k, v in info["collection"].items() if k in spec_fields}
        episodes = spec["episodes"] + args.extra
        spec.update(episodes=episodes, episodes_per_task=episodes)
        env = env_config_from_dict(info["env"])
        store = collect(
            run / "offline" / finetune_store.name, env, CollectSpec(**spec), workers=1, progress=False
        )
        config = OfflineConfig(demos=args.demos, seeds=1, steps=args.steps, max_heldout=args.extra)
        paths = [str(encoders[n]) if n in encoders else n for n in names]
        results = evaluate_offline(store.root, paths, config, progress=False)
        for name, path in zip(names, paths, strict=True):
            offline[name].append(results[path])
        print(
            f"{finetune_store.name}: " + ", ".join(f"{n} R² {offline[n][-1]['r2']:.2f}" for n in names),
            flush=True,
        )
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    success = {
        n: float(np.mean([r["success"] for r in records if r["method"] == n and r["demos"] == args.demos]))
        for n in names
    }
    r2 = {n: float(np.mean([r["r2"] for r in offline[n]])) for n in names}
    mse = {n: float(np.mean([r["mse"] for r in offline[n]])) for n in names}
    print("\n| method | rollout success | offline R² | offline MSE |\n|---|---|---|---|")
    for n in sorted(names, key=lambda n: -success[n]):
        print(f"| {n} | {success[n]:.2f} | {r2[n]:.3f} | {mse[n]:.4f} |")
    order = list(names)
    print(
        f"\nSpearman(success, R²) = {spearman([success[n] for n in order], [r2[n] for n in order]):.2f}; "
        f"Spearman(success, -MSE) = {spearman([success[n] for n in order], [-mse[n] for n in order]):.2f} "
        f"over {len(order)} methods"
    )
    without_state = [n for n in order if n != STATE]
    print(
        f"Encoders only ({len(without_state)}): Spearman(success, R²) = "
        f"{spearman([success[n] for n in without_state], [r2[n] for n in without_state]):.2f}"
    )


if __name__ == "__main__":
    main()
