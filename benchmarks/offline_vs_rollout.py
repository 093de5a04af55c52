"""Does offline evaluation rank encoders as rollouts do? Point mass, on a finished benchmark run.

Usage: python benchmarks/offline_vs_rollout.py RUN [--extra 20] [--demos 2] [--steps 2000] [--seeds 3]

RUN is a ``dynarep benchmark pointmass`` folder. For each finetuning seed i it collects the
finetuning set again with ``extra`` more episodes of the same hidden goal (the first ``demos``
episodes are the benchmark's own demos) and merges the sets into one store of as many tasks. Then
``evaluate_offline`` runs on every encoder of the run and the state oracle, on every task (a head
trained on ``demos`` episodes, scored on the rest; ``seeds`` splits per task), and the methods'
mean rank over tasks, mean held-out R² and mean MSE are compared with their mean rollout success
in RUN/results.jsonl by Spearman's rank correlation. The scratch baseline has no frozen encoder
and is left out. Rollout success is itself noisy with few seeds, so the script also lists every
pair of methods whose rollout success differs with a paired 95% CI excluding 0 and says whether
the offline mean rank orders that pair the same way.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from itertools import combinations
from pathlib import Path

import numpy as np
import torch

from dynarep.data.collect import CollectSpec, collect
from dynarep.data.merge import merge
from dynarep.data.store import EpisodeStore, atomic_write_json
from dynarep.envs import env_config_from_dict
from dynarep.evaluate.offline import STATE, OfflineConfig, evaluate_offline, ranks
from dynarep.evaluate.stats import paired_difference


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (average ranks for ties)."""
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--extra", type=int, default=20)
    parser.add_argument("--demos", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3, help="training/held-out splits per task")
    args = parser.parse_args()
    torch.set_num_threads(1)
    run = Path(args.run)
    encoders = {p.name: p for p in sorted((run / "encoders").iterdir()) if (p / "encoder.json").exists()}
    names = [*encoders, STATE]
    stores = []
    for finetune_store in sorted((run / "data").glob("finetune_seed*")):
        info = EpisodeStore(finetune_store).info
        spec_fields = {f.name for f in fields(CollectSpec)}
        spec = {k: v for k, v in info["collection"].items() if k in spec_fields}
        episodes = spec["episodes"] + args.extra
        spec.update(episodes=episodes, episodes_per_task=episodes)
        env = env_config_from_dict(info["env"])
        store = run / "offline" / finetune_store.name
        stores.append(collect(store, env, CollectSpec(**spec), workers=1, progress=False).root)
    union = run / "offline" / "all"
    if not (union / "meta" / "info.json").exists():
        merge(stores, union, progress=False)
    config = OfflineConfig(
        demos=args.demos, seeds=args.seeds, steps=args.steps, max_heldout=args.extra, max_tasks=len(stores)
    )
    paths = [str(encoders[n]) if n in encoders else n for n in names]
    results = evaluate_offline(union, paths, config)
    offline = {name: results[path] for name, path in zip(names, paths, strict=True)}
    for name in names:
        per_task = ", ".join(f"{t['mse']:.3f}" for t in offline[name]["per_task"])
        print(f"{name}: MSE per task {per_task}", flush=True)
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    seeds = sorted({r["finetune_seed"] for r in records})
    outcomes: dict[tuple, list[float]] = {}
    for r in records:
        outcomes.setdefault((r["method"], r["demos"], r["finetune_seed"]), []).append(r["success"])
    per_seed = {n: [float(np.mean(outcomes[n, args.demos, i])) for i in seeds] for n in names}
    success = {n: float(np.mean(per_seed[n])) for n in names}
    scores = {
        "mean rank": {n: -offline[n]["mean_rank"] for n in names},
        "R²": {n: offline[n]["r2"] for n in names},
        "-MSE": {n: -offline[n]["mse"] for n in names},
    }
    print(
        "\n| method | rollout success | offline mean rank | offline R² | offline MSE |\n|---|---|---|---|---|"
    )
    for n in sorted(names, key=lambda n: -success[n]):
        o = offline[n]
        print(f"| {n} | {success[n]:.2f} | {o['mean_rank']:.2f} | {o['r2']:.3f} | {o['mse']:.4f} |")
    for label, chosen in (("all methods", names), ("encoders only", [n for n in names if n != STATE])):
        correlations = ", ".join(
            f"{score} {spearman([success[n] for n in chosen], [by[n] for n in chosen]):.2f}"
            for score, by in scores.items()
        )
        print(f"Spearman with rollout success, {label} ({len(chosen)}): {correlations}")
    print("\nPairs that rollouts separate (paired 95% CI of the success difference excludes 0):")
    agree = dict.fromkeys(scores, 0)
    separated = 0
    for better, worse in combinations(sorted(names, key=lambda n: -success[n]), 2):
        difference = paired_difference(per_seed[better], per_seed[worse])
        if difference.ci_low <= 0:
            continue
        separated += 1
        same = {score: by[better] > by[worse] for score, by in scores.items()}
        for score in scores:
            agree[score] += same[score]
        ci = f"[{difference.ci_low:+.2f}, {difference.ci_high:+.2f}]"
        verdicts = ", ".join(f"{score} {'same' if ok else 'REVERSED'}" for score, ok in same.items())
        print(f"  {better} > {worse}: {difference.mean:+.2f} {ci}; offline: {verdicts}")
    counts = ", ".join(f"{score} {agree[score]}" for score in scores)
    print(f"Separated pairs ordered as rollouts order them, of {separated}: {counts}")
    atomic_write_json(run / "offline" / "offline_vs_rollout.json", {"offline": offline, "success": success})


if __name__ == "__main__":
    main()
