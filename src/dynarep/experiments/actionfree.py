"""``dynarep benchmark pointmass-actionfree``: learning from IDM-labelled trajectories, top to bottom.

The semi-supervised setting of protocol §5.3 (SSORL) on the point mass. Per seed, one hidden goal:
collect a dataset from the expert and from a noisy expert (half each, rewards recorded), then for
each labelled fraction keep the actions of that share of the episodes (SSORL's rule: drawn from
the lowest-return half) and treat the rest as action-free -> train an inverse dynamics model on
the labelled part and label the rest (its error against the hidden true actions is recorded) ->
train BC and TD3+BC on (a) the labelled part only, (b) labelled + IDM-labelled, and once per seed
(c) every episode with its true actions -> roll each policy out at the seed's goal. The IDM reads
frames (the action-free data are videos); the policies read the true state, as SSORL's agents do,
so that the table measures the labels and not a vision policy. Every stage skips work already on
disk, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dynarep.data.collect import CollectSpec, collect
from dynarep.data.merge import merge
from dynarep.data.split import split_store
from dynarep.data.store import atomic_write_bytes, atomic_write_json
from dynarep.envs.pointmass import PointMassConfig
from dynarep.evaluate.stats import summarize
from dynarep.experiments.jobs import run_jobs
from dynarep.experiments.resume import check_resumable
from dynarep.label.idm import LabellerConfig
from dynarep.label.label import label

TASK_BASE = 3_000_000  # hidden goals apart from every other benchmark's
ALGORITHMS = ("bc", "td3bc")
LABELLERS = ("frames", "state")
DATA_LABELS = {
    "labelled": "labelled part only",
    "idm-frames": "labelled + IDM labels (frames)",
    "idm-state": "labelled + IDM labels (states)",
    "true": "true labels for everything",
}


@dataclass(frozen=True)
class ActionFreePreset:
    """Every size of an action-free benchmark run."""

    episodes: int = 100
    """Episodes per seed (half expert, half noisy expert), one hidden goal."""
    noise: tuple[float, float] = (0.1, 1.0)
    """Expert noise of the two halves (the expert's, the noisy expert's)."""
    noise_correlation: float = 0.0
    """Correlation of successive noise draws in both halves (collect --noise-correlation): above
    0 a push lasts several steps and bends the path enough for frames to show it."""
    fractions: tuple[float, ...] = (0.01, 0.05, 0.1)
    """Labelled fractions besides 1.0 (every episode labelled, the 'true' row)."""
    pick: str = "lowest-return"
    """Which episodes keep actions (split --pick)."""
    seeds: int = 3
    """Seeds; each has its own hidden goal and data."""
    labellers: tuple[str, ...] = LABELLERS
    """Labellers compared: one reading frames around t, one reading states t-1..t+1 (SSORL's)."""
    idm_steps: int = 500
    """Frame labeller's training steps."""
    idm_batch: int = 64
    """Frame labeller's batch (windows)."""
    idm_past: int = 1
    """Frames before t the frame labeller sees."""
    idm_future: int = 1
    """Frames after t the frame labeller sees."""
    idm_shift: int = 0
    """Frame labeller's random shift while training (label --shift), px."""
    idm_segment: int = 1
    """Frame labeller's runs of consecutive steps per batch (label --segment)."""
    state_idm_steps: int = 2000
    """State labeller's training steps (an MLP: seconds)."""
    bc_steps: int = 1000
    """BC steps (state policy, every state column)."""
    td3bc_steps: int = 2000
    """TD3+BC critic steps."""
    eval_episodes: int = 50
    """Rollouts per policy."""
    workers: int = 2
    """Processes for the policy jobs."""
    episode_steps: int = 100
    """Control steps per episode (the point mass's 100; tests use fewer)."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionFreePreset:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


PRESETS = {
    "quick": ActionFreePreset(),
    "cpu": ActionFreePreset(
        episodes=200,
        fractions=(0.01, 0.05, 0.1),
        seeds=5,
        idm_steps=1000,
        bc_steps=2000,
        td3bc_steps=5000,
        eval_episodes=100,
    ),
}


def run(
    preset: ActionFreePreset | str = "quick", out: str | Path | None = None, progress: bool = True
) -> str:
    """Run (or resume) the benchmark in ``out`` (default ``runs/pointmass-actionfree-PRESET``);
    returns the printed table."""
    preset_name = preset if isinstance(preset, str) else "custom"
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"preset {preset!r}: choose one of {', '.join(PRESETS)}")
        preset = PRESETS[preset]
    out = Path(out or f"runs/pointmass-actionfree-{preset_name}")
    check_resumable(out, preset, resumable=("workers",))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    atomic_write_json(out / "preset.json", asdict(preset))
    env = PointMassConfig(episode_steps=preset.episode_steps)

    jobs: list[dict[str, Any]] = []
    idm_errors: dict[tuple[str, int, float], dict[str, Any]] = {}
    for i in range(preset.seeds):
        # 1. Data: expert and noisy expert around one hidden goal, with rewards.
        data = out / "data" / f"seed{i}"
        halves = []
        for half, noise in enumerate(preset.noise):
            halves.append(data / f"noise{noise:g}")
            spec = CollectSpec(
                episodes=preset.episodes // 2,
                first_task=TASK_BASE + i,
                episodes_per_task=preset.episodes // 2,
                seed=TASK_BASE + 1000 * i + 100 * half,
                expert_noise=noise,
                noise_correlation=preset.noise_correlation,
            )
            collect(halves[-1], env, spec, workers=1, progress=progress)
        everything = data / "all"
        if not everything.exists():
            merge(halves, everything, progress=progress)
        stores = {1.0: {"true": everything}}

        # 2. Per fraction: split, label the action-free part, merge labelled + IDM-labelled.
        for fraction in preset.fractions:
            part = data / f"frac{fraction:g}"
            if not (part / "unlabelled").exists():
                split_store(
                    everything, part / "labelled", part / "unlabelled", fraction, preset.pick, seed=i,
                    keep_actions=True, progress=progress,
                )  # fmt: skip
            stores[fraction] = {"labelled": part / "labelled"}
            for inputs in preset.labellers:
                labelled, union = part / f"idm-{inputs}", part / f"union-{inputs}"
                if not labelled.exists():
                    frames = inputs == "frames"
                    config = LabellerConfig(
                        inputs=inputs,
                        past=preset.idm_past if frames else 1,
                        future=preset.idm_future if frames else 1,
                        shift=preset.idm_shift if frames else 0,
                        segment=preset.idm_segment if frames else 1,
                        steps=preset.idm_steps if frames else preset.state_idm_steps,
                        batch_size=preset.idm_batch,
                        validation=0.0,
                        seed=i,
                    )
                    label(part / "labelled", part / "unlabelled", labelled, config, "relabel", progress)
                if not union.exists():
                    merge([part / "labelled", labelled], union, progress=progress)
                labels = json.loads((labelled / "meta" / "info.json").read_text())["labels"]
                idm_errors[inputs, i, fraction] = labels["error_vs_replaced_actions"]
                stores[fraction][f"idm-{inputs}"] = union

        # 3. One policy job per (algorithm, data, fraction).
        for fraction, by_data in stores.items():
            for data_name, store in by_data.items():
                for algorithm in ALGORITHMS:
                    name = f"{algorithm}_{data_name}_frac{fraction:g}_seed{i}"
                    jobs.append(
                        {
                            "algorithm": algorithm,
                            "data": data_name,
                            "fraction": fraction,
                            "seed": i,
                            "store": str(store),
                            "out": str(out / "policies" / name),
                            "results": str(out / "results" / f"{name}.jsonl"),
                            "preset": asdict(preset),
                        }
                    )

    # 4. Train and roll out every policy in worker processes; 5. the table.
    records = run_jobs(jobs, train_and_evaluate, preset.workers, out, "train+evaluate", progress)
    table = format_table(records, idm_errors, preset, time.perf_counter() - started)
    (out / "report.md").write_text(table + "\n")
    return table


def train_and_evaluate(job: dict[str, Any]) -> str:
    """One worker job: BC or TD3+BC on the job's store, then rollouts at the seed's goal."""
    import torch

    from dynarep.evaluate.rollout import evaluate
    from dynarep.rl.td3_bc import TD3BCConfig, offline_rl
    from dynarep.train.finetune import FinetuneConfig, finetune

    torch.set_num_threads(1)
    preset = ActionFreePreset.from_dict(job["preset"])
    if job["algorithm"] == "bc":
        from dynarep.data.store import EpisodeStore

        episodes = EpisodeStore(job["store"]).num_episodes
        config = FinetuneConfig(demos=episodes, steps=preset.bc_steps, state_columns="all", seed=job["seed"])
        finetune(job["store"], job["out"], "state", None, config, progress=False)
    else:
        offline_rl(job["store"], job["out"], TD3BCConfig(steps=preset.td3bc_steps, seed=job["seed"]), False)
    extra = {k: job[k] for k in ("algorithm", "data", "fraction", "seed")}
    records = evaluate(
        job["out"], preset.eval_episodes, seed=job["seed"], extra=extra, progress=False, workers=1
    )
    atomic_write_bytes(Path(job["results"]), "".join(json.dumps(r) + "\n" for r in records).encode())
    return job["results"]


def format_table(
    records: list[dict[str, Any]],
    idm_errors: dict[tuple[str, int, float], dict[str, Any]],
    preset: ActionFreePreset,
    seconds: float,
) -> str:
    """Success (mean ± SE [95% CI] over seeds) per algorithm and data vs labelled fraction, and the
    labeller's error against the hidden true actions."""
    fractions = (*preset.fractions, 1.0)
    header = "| method | " + " | ".join(f"{f:.0%} labelled" for f in fractions) + " |"
    lines = [
        f"# Point mass, action-free: success vs labelled fraction ({preset.seeds} seeds, "
        f"{preset.episodes} episodes each, {preset.eval_episodes} rollouts per policy)",
        "",
        header,
        "|" + "---|" * (len(fractions) + 1),
    ]
    rows = ("labelled", *[f"idm-{inputs}" for inputs in preset.labellers], "true")
    for algorithm in ALGORITHMS:
        for data in rows:
            cells = []
            for fraction in fractions:
                # 100 % labelled, and the 'true' row at every fraction, is one dataset per seed
                source = ("true", 1.0) if data == "true" or fraction == 1.0 else (data, fraction)
                per_seed = [
                    np.mean([r["success"] for r in records if _matches(r, algorithm, *source, seed)])
                    for seed in range(preset.seeds)
                ]
                s = summarize(per_seed)
                cells.append(f"{s.mean:.2f} ± {s.se:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]")
            name = {"bc": "BC", "td3bc": "TD3+BC"}[algorithm]
            lines.append(f"| {name}, {DATA_LABELS[data]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| labeller (IDM) on the action-free part | "
        + " | ".join(f"{f:.0%}" for f in preset.fractions)
        + " |",
    ]
    lines.append("|---|" + "---|" * len(preset.fractions))
    for inputs in preset.labellers:
        for key, label_text in (("mse", "MSE"), ("r2", "R² (mean over action dims)")):
            values = [
                summarize([idm_errors[inputs, s, f][key] for s in range(preset.seeds)])
                for f in preset.fractions
            ]
            lines.append(
                f"| {inputs} labeller, {label_text} | "
                + " | ".join(f"{v.mean:.3f} ± {v.se:.3f}" for v in values)
                + " |"
            )
    lines += [
        "",
        "Policies read the true state (x, y, vx, vy); the labellers read frames "
        f"t-{preset.idm_past}..t+{preset.idm_future} (32 px, random shift {preset.idm_shift} px "
        "while training) or the states s_t-1, s_t, s_t+1. Expert noise "
        f"{preset.noise[0]:g} / {preset.noise[1]:g}, correlation {preset.noise_correlation:g}. "
        f"Labelled episodes drawn by rule '{preset.pick}'. Success = within 1.5 cm of the hidden goal "
        f"at any step of 100. Wall time {seconds / 60:.1f} min.",
    ]
    return "\n".join(lines)


def _matches(record: dict[str, Any], algorithm: str, data: str, fraction: float, seed: int) -> bool:
    return (
        record["algorithm"] == algorithm
        and record["data"] == data
        and abs(record["fraction"] - fraction) < 1e-9
        and record["seed"] == seed
    )
