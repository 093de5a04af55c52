"""The representation route with action-free data: pretrain inverse dynamics on IDM labels.

Usage: python benchmarks/actionfree_pretraining.py RUN [--fraction 0.1] [--seed 0]

RUN is a finished ``dynarep benchmark pointmass --preset quick`` folder. Its 300-episode pretraining
corpus is split: ``fraction`` of the episodes keep their actions, the rest become action-free. An
inverse dynamics labeller trained on the labelled part labels the rest, and inverse dynamics
pretraining (the preset's steps and batch) runs on (a) the labelled part only and (b) labelled +
IDM-labelled; (c) is RUN's own encoder, pretrained on every episode with its true actions. Each
encoder then gets the preset's frozen BC head on RUN's finetuning sets (2 demos, 5 seeds) and the
same rollouts, so the three rows compare with RUN's table. Writes RUN/actionfree_pretraining.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dynarep.data.merge import merge
from dynarep.data.split import split_store
from dynarep.evaluate.rollout import evaluate
from dynarep.evaluate.stats import summarize
from dynarep.experiments.presets import Preset
from dynarep.label.idm import LabellerConfig
from dynarep.label.label import label
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.pretrain import PretrainConfig, pretrain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--idm-steps", type=int, default=1000)
    args = parser.parse_args()
    preset = Preset.from_dict(json.loads((args.run / "preset.json").read_text()))
    work = args.run / f"actionfree_pretraining_{args.fraction:g}"
    started = time.perf_counter()

    corpus = args.run / "data" / "pretrain"
    if not (work / "unlabelled").exists():
        split_store(
            corpus, work / "labelled", work / "unlabelled", args.fraction, seed=args.seed, keep_actions=True
        )
    if not (work / "idm").exists():
        config = LabellerConfig(steps=args.idm_steps, batch_size=64, seed=args.seed)
        label(work / "labelled", work / "unlabelled", work / "idm", config, "relabel")
    if not (work / "union").exists():
        merge([work / "labelled", work / "idm"], work / "union")
    labels = json.loads((work / "idm" / "meta" / "info.json").read_text())["labels"]

    steps = preset.pretrain_steps["inverse_dynamics"]
    encoders = {"true labels, every episode": args.run / "encoders" / "inverse_dynamics"}
    for name, store in (
        ("labelled part only", work / "labelled"),
        ("labelled + IDM-labelled", work / "union"),
    ):
        encoders[name] = pretrain(
            store, work / "encoders" / store.name, "inverse_dynamics", None,
            PretrainConfig(steps=steps, batch_size=preset.pretrain_batch, lr=preset.pretrain_lr),
        )  # fmt: skip

    rows = {}
    for name, encoder in encoders.items():
        per_seed = []
        for i in range(preset.seeds):
            policy = work / "policies" / f"{Path(encoder).name}_seed{i}"
            finetune(
                args.run / "data" / f"finetune_seed{i}", policy, "frozen", encoder,
                FinetuneConfig(demos=preset.demos[0], steps=preset.finetune_steps, seed=i), progress=False,
            )  # fmt: skip
            records = evaluate(policy, preset.eval_episodes, seed=i, progress=False)
            per_seed.append(float(np.mean([r["success"] for r in records])))
        s = summarize(per_seed)
        rows[name] = {"per_seed": per_seed, "mean": s.mean, "se": s.se, "ci": [s.ci_low, s.ci_high]}
        print(f"{name:28s} {s.mean:.2f} ± {s.se:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]", flush=True)
    result = {
        "fraction": args.fraction,
        "labelled_episodes": int(round(args.fraction * 300)),
        "labeller_error_vs_true": labels["error_vs_replaced_actions"],
        "rows": rows,
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    (args.run / "actionfree_pretraining.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
