"""``dynarep benchmark SUITE``: the whole comparison, top to bottom in ``run``.

collect a pretraining corpus (one hidden context per episode), one finetuning set per seed and
target (a new context each) and held-out probe episodes -> pretrain each objective (plus a random
encoder) -> in one worker pool, longest jobs first: probe each frozen encoder, and for every
method x target x seed x demos finetune and evaluate -> table, plot, report. Every stage skips
work that is already on disk, so an interrupted benchmark resumes where it stopped. The suite
(``suites.py``) says which environment and split.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from dynarep.config_checks import ConfigError
from dynarep.data.collect import CollectSpec, collect
from dynarep.data.store import atomic_write_bytes, atomic_write_json
from dynarep.envs import make_environment
from dynarep.evaluate.probe import ProbeConfig, probe
from dynarep.experiments.jobs import run_jobs
from dynarep.experiments.presets import PRETRAINED_BACKBONE, Preset
from dynarep.experiments.report import read_probes, write_report
from dynarep.experiments.resume import check_resumable
from dynarep.experiments.suites import Suite, get_preset, get_suite
from dynarep.experiments.videos import record_videos
from dynarep.nets.encoder import EncoderConfig, default_encoder_config
from dynarep.nets.factory import get_encoder
from dynarep.objectives import get_objective
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.pretrain import PretrainConfig, pretrain

FINETUNE_TASK_BASE = 1_000_000  # the paper's finetuning seeds: 1e6 + i
PROBE_TASK_BASE = 2_000_000  # held-out episodes for the probes, goals apart from every other set
BASELINES = ("scratch", "random", "state")


def check_methods(methods: tuple[str, ...], pretrained: dict[str, str]) -> None:
    for method in methods:
        if method not in BASELINES and method not in pretrained:
            get_objective(method)  # raises a one-line error naming the choices


def encoder_config(preset: Preset) -> EncoderConfig | None:
    """The pretrained encoders' architecture: pretrain's default for the frame size (None), or
    that default with the preset's ``encoder_options``."""
    if not preset.encoder_options:
        return None
    default = default_encoder_config(preset.image_size).to_dict()
    unknown = sorted(set(preset.encoder_options) - set(default))
    if unknown:
        raise ConfigError(f"encoder_options: unknown {unknown}; choose from {sorted(default)}")
    return EncoderConfig.from_dict({**default, **preset.encoder_options})


def run(
    suite: Suite | str = "pointmass",
    preset: Preset | str = "quick",
    out: str | Path | None = None,
    progress: bool = True,
    methods: tuple[str, ...] | None = None,
    horizon: int | None = None,
    pretrained: dict[str, str] | None = None,
    data_only: bool = False,
) -> str:
    """Run (or resume) the benchmark in ``out`` (default ``runs/SUITE-PRESET``) and return the
    printed table.

    ``methods`` replaces the preset's rows (objective names and the baselines scratch, random,
    state); ``horizon`` the k of the objectives that have one (inverse_dynamics, fd_contrastive).
    ``pretrained`` adds frozen rows from local backbone weights, e.g. ``{"imagenet": "r18.pth",
    "r3m": "r3m.pt"}`` (the preset's ``PRETRAINED_BACKBONE``, not trained further). ``data_only``
    stops after collecting the data (a sweep collects data shared by several runs first)."""
    suite_name = suite if isinstance(suite, str) else None
    suite = get_suite(suite) if isinstance(suite, str) else suite
    preset_name = preset if isinstance(preset, str) else "custom"
    preset = get_preset(suite, preset)
    if methods:
        preset = replace(preset, methods=tuple(methods))
    if horizon is not None:
        preset = replace(preset, horizon=horizon)
    pretrained = dict(pretrained or {})
    if pretrained:
        preset = replace(
            preset, methods=(*preset.methods, *[m for m in pretrained if m not in preset.methods])
        )
    check_methods(preset.methods, pretrained)
    architecture = encoder_config(preset)  # before anything is written: a bad option fails first
    out = Path(out or f"runs/{suite_name or 'benchmark'}-{preset_name}")
    check_resumable(out, preset, RESUMABLE_FIELDS)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    atomic_write_json(out / "preset.json", asdict(preset))
    env = suite.pretrain_env(preset)
    targets = suite.finetune_envs(preset)

    # 1. Data: a multitask corpus, and per target and seed a few-demo set in a new context.
    pretrain_store = out / "data" / "pretrain"
    corpus = CollectSpec(episodes=preset.pretrain_episodes, success_only=suite.success_only)
    collect(pretrain_store, env, corpus, preset.workers, progress=progress)
    finetune_stores: dict[tuple[str, int], Path] = {}
    for t, (target, target_env) in enumerate(targets.items()):
        for i in range(preset.seeds):
            # one configuration: task 1e6 + i (the paper's seeds); else 1000 configurations apart
            spec = CollectSpec(
                episodes=max(preset.demos),
                first_task=FINETUNE_TASK_BASE + 100_000 * t + (i if suite.one_configuration else 1000 * i),
                episodes_per_task=max(preset.demos) if suite.one_configuration else 1,
                seed=FINETUNE_TASK_BASE + 100_000 * t + i,
                success_only=suite.success_only,
            )
            suffix = f"_{target}" if len(targets) > 1 else ""
            finetune_stores[target, i] = out / "data" / f"finetune{suffix}_seed{i}"
            collect(finetune_stores[target, i], target_env, spec, preset.workers, progress=progress)

    probe_store = out / "data" / "probe"  # held-out episodes (own goals) for the probes
    if preset.probe_episodes > 0:
        spec = CollectSpec(
            episodes=preset.probe_episodes,
            first_task=PROBE_TASK_BASE,
            seed=PROBE_TASK_BASE,
            success_only=suite.success_only,
        )
        collect(probe_store, env, spec, preset.workers, progress=progress)
    if data_only:
        return ""

    # 2. Encoders: per pretraining objective and pretraining seed, plus frozen random ones.
    encoders: dict[str, Path] = {}
    for method, weights in pretrained.items():  # frozen as loaded: pretrain for 0 steps exports them
        backbone_config, _ = get_encoder(PRETRAINED_BACKBONE)
        encoders[method] = pretrain(
            pretrain_store,
            out / "encoders" / method,
            "inverse_dynamics",
            None,
            PretrainConfig(steps=0, batch_size=preset.pretrain_batch),
            encoder_config=backbone_config(
                image_size=preset.image_size, weights=str(Path(weights).resolve())
            ),
            progress=progress,
        )
    for method in preset.methods:
        if (method in BASELINES and method != "random") or method in pretrained:
            continue
        objective = "inverse_dynamics" if method == "random" else method
        config_class, _ = get_objective(objective)
        fields = config_class.__dataclass_fields__
        options = {
            k: v for k, v in (("horizon", preset.horizon), ("shift", preset.pretrain_shift)) if k in fields
        }
        steps = (
            0
            if method == "random"
            else preset.pretrain_steps.get(method, max(preset.pretrain_steps.values()))
        )
        for k in range(preset.pretrain_seeds):
            name = preset.encoder_name(method, k)
            encoders[name] = pretrain(
                pretrain_store,
                out / "encoders" / name,
                objective,
                config_class(**options),
                PretrainConfig(steps=steps, batch_size=preset.pretrain_batch, lr=preset.pretrain_lr, seed=k),
                encoder_config=architecture,
                progress=progress,
            )

    # 3. Probes (how well each frozen encoder encodes the true state, on held-out episodes): run
    # in the finetuning pool below as side jobs, so they fill its cores instead of a stage of their own.
    probe_jobs = [
        (
            probe_encoder,
            {
                "method": "probe",
                "encoder": str(path),
                "store": str(probe_store),
                "mlp_steps": preset.probe_mlp_steps,
                "results": str(out / "encoders" / name / "probe.json"),
            },
        )
        for name, path in encoders.items()
        if preset.probe_episodes > 0
    ]

    # 4. Finetune + evaluate every (method, target, seed, demos) in parallel worker processes.
    jobs = []
    for method in preset.methods:
        for demos in preset.demos:
            for target in targets:
                for i in range(preset.seeds):
                    encoder = method if method in pretrained else preset.encoder_name(method, i)
                    seeded = preset.pretrain_seeds > 1 and encoder in encoders and method not in pretrained
                    name = (
                        f"{method}_{target}_seed{i}_demos{demos}"
                        if len(targets) > 1
                        else (f"{method}_seed{i}_demos{demos}")
                    )
                    jobs.append(
                        {
                            "method": method,
                            "target": target,
                            "seed": i,
                            "demos": demos,
                            "store": str(finetune_stores[target, i]),
                            "encoder": str(encoders[encoder]) if encoder in encoders else None,
                            "out": str(out / "policies" / name),
                            "results": str(out / "results" / f"{name}.jsonl"),
                            "preset": asdict(preset),
                            "new_contexts": not suite.one_configuration,
                            "extra": {
                                **({"target": target} if len(targets) > 1 else {}),
                                **({"pretrain_seed": i % preset.pretrain_seeds} if seeded else {}),
                            },
                        }
                    )
    records = run_jobs(
        jobs, finetune_and_evaluate, preset.workers, out, "finetune+evaluate", progress, job_cost, probe_jobs
    )
    probes = read_probes(out, preset)

    # 5. Results, and a few rollouts to watch.
    record_videos(out, records, preset.methods, new_contexts=not suite.one_configuration)
    probe_target = next(iter(make_environment(env).probe_targets))
    wall_seconds = time.perf_counter() - started
    atomic_write_json(
        out / "run.json", {"suite": suite_name, "preset": preset_name, "wall_seconds": round(wall_seconds, 1)}
    )
    return write_report(out, records, preset, suite, probes, wall_seconds, probe_target)


RESUMABLE_FIELDS = ("methods", "workers")
"""Preset fields a run may resume under other values of: rows added or dropped, another pool size.
Every other field shapes results already on disk, which a resumed run reuses as they are."""


JOB_COST = {"scratch": 2.0, "state": 0.5, "probe": 0.5}
"""A pool job's rough run time relative to a frozen-encoder policy's (quick preset, one thread:
scratch ~22 s, frozen ~12 s, state ~7 s, probe ~7 s), so that the longest start first."""


def job_cost(job: dict[str, Any]) -> float:
    return JOB_COST.get(job["method"], 1.0)


def probe_encoder(job: dict[str, Any]) -> str:
    """One worker job: probe a frozen encoder on the held-out episodes, write its ``probe.json``.
    One thread gives the same bits as the two the probes had as a stage of their own (measured on
    the point-mass quick and cpu encoders and a pick-place one), so the tables on record hold."""
    import torch

    torch.set_num_threads(1)
    result = probe(job["encoder"], job["store"], ProbeConfig(mlp_steps=job["mlp_steps"]))
    atomic_write_json(Path(job["results"]), result)
    return job["results"]


def finetune_and_evaluate(job: dict[str, Any]) -> str:
    """One worker job: train the few-shot policy, roll it out, write its per-episode JSONL."""
    import torch

    from dynarep.evaluate.rollout import evaluate

    torch.set_num_threads(1)
    preset = Preset.from_dict(job["preset"])
    method = job["method"]
    policy_type = {"scratch": "scratch", "state": "state"}.get(method, "frozen")
    config = FinetuneConfig(demos=job["demos"], steps=preset.finetune_steps, seed=job["seed"])
    if policy_type == "scratch":
        config = replace(
            config, steps=preset.scratch_steps, batch_size=preset.scratch_batch, shift=preset.scratch_shift
        )
    # overrides (dropout, weight_decay, ...): the preset's, then a job's own (benchmarks/finetune_sweep.py)
    config = replace(config, **{**preset.finetune_options, **job.get("finetune", {})})
    finetune(job["store"], job["out"], policy_type, job["encoder"], config, progress=False)
    records = evaluate(
        job["out"],
        episodes=preset.eval_episodes,
        seed=job["seed"],
        extra={"method": method, "demos": job["demos"], "finetune_seed": job["seed"], **job.get("extra", {})},
        progress=False,
        workers=1,  # the jobs themselves run in parallel
        new_contexts=job.get("new_contexts", False),
    )
    atomic_write_bytes(Path(job["results"]), "".join(json.dumps(r) + "\n" for r in records).encode())
    return job["results"]
