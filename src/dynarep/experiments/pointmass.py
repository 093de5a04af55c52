"""``dynarep benchmark pointmass``: the whole comparison, top to bottom in ``run``.

collect a pretraining corpus (one hidden goal per episode) and one finetuning set per seed (one new
goal each) -> pretrain each objective (plus a random encoder) -> for every method x seed x demos:
finetune and evaluate in a worker pool -> table, plot, report. Every stage skips work that is
already on disk, so an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import multiprocessing
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynarep.data.collect import CollectSpec, collect
from dynarep.data.store import atomic_write_bytes, atomic_write_json
from dynarep.envs.pointmass import PointMassConfig
from dynarep.evaluate.probe import ProbeConfig, probe
from dynarep.experiments.presets import PRESETS, Preset
from dynarep.experiments.report import write_report
from dynarep.objectives import get_objective
from dynarep.train.finetune import FinetuneConfig, finetune
from dynarep.train.pretrain import PretrainConfig, pretrain

FINETUNE_TASK_BASE = 1_000_000  # the paper's finetuning seeds: 1e6 + i
PROBE_TASK_BASE = 2_000_000  # held-out episodes for the probes, goals apart from every other set
BASELINES = ("scratch", "random", "state")


def check_methods(methods: tuple[str, ...]) -> None:
    for method in methods:
        if method not in BASELINES:
            get_objective(method)  # raises a one-line error naming the choices


def run(
    preset: Preset | str = "quick",
    out: str | Path = "runs/pointmass-quick",
    progress: bool = True,
    methods: tuple[str, ...] | None = None,
    horizon: int | None = None,
) -> str:
    """Run (or resume) the benchmark in ``out`` and return the printed table.

    ``methods`` replaces the preset's rows (objective names and the baselines scratch, random,
    state); ``horizon`` the k of the objectives that have one (inverse_dynamics, fd_contrastive)."""
    preset = PRESETS[preset] if isinstance(preset, str) else preset
    if methods:
        preset = replace(preset, methods=tuple(methods))
    if horizon is not None:
        preset = replace(preset, horizon=horizon)
    check_methods(preset.methods)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    atomic_write_json(out / "preset.json", asdict(preset))
    env = PointMassConfig(image_size=preset.image_size)

    # 1. Data: a multitask corpus, and one few-demo set per seed in a new hidden context.
    pretrain_store = out / "data" / "pretrain"
    collect(
        pretrain_store, env, CollectSpec(episodes=preset.pretrain_episodes), preset.workers, progress=progress
    )
    finetune_stores = []
    for i in range(preset.seeds):
        spec = CollectSpec(
            episodes=max(preset.demos),
            first_task=FINETUNE_TASK_BASE + i,
            episodes_per_task=max(preset.demos),
            seed=FINETUNE_TASK_BASE + i,
        )
        finetune_stores.append(out / "data" / f"finetune_seed{i}")
        collect(finetune_stores[-1], env, spec, preset.workers, progress=progress)

    # 2. Encoders: one per pretraining objective, plus a frozen random one.
    encoders: dict[str, Path] = {}
    for method in preset.methods:
        if method in BASELINES and method != "random":
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
        encoders[method] = pretrain(
            pretrain_store,
            out / "encoders" / method,
            objective,
            config_class(**options),
            PretrainConfig(steps=steps, batch_size=preset.pretrain_batch),
            progress=progress,
        )

    # 3. Probes: how well each frozen encoder locates the mass on held-out episodes.
    probes: dict[str, dict[str, float]] = {}
    if preset.probe_episodes > 0:
        probe_store = out / "data" / "probe"
        spec = CollectSpec(episodes=preset.probe_episodes, first_task=PROBE_TASK_BASE, seed=PROBE_TASK_BASE)
        collect(probe_store, env, spec, preset.workers, progress=progress)
        for method, path in encoders.items():
            result = out / "encoders" / method / "probe.json"
            if not result.exists():
                atomic_write_json(
                    result, probe(path, probe_store, ProbeConfig(mlp_steps=preset.probe_mlp_steps))
                )
            probes[method] = json.loads(result.read_text())

    # 4. Finetune + evaluate every (method, seed, demos) in parallel worker processes.
    jobs = [
        {
            "method": method,
            "seed": i,
            "demos": demos,
            "store": str(finetune_stores[i]),
            "encoder": str(encoders[method]) if method in encoders else None,
            "out": str(out / "policies" / f"{method}_seed{i}_demos{demos}"),
            "results": str(out / "results" / f"{method}_seed{i}_demos{demos}.jsonl"),
            "preset": asdict(preset),
        }
        for method in preset.methods
        for demos in preset.demos
        for i in range(preset.seeds)
    ]
    todo = [job for job in jobs if not Path(job["results"]).exists()]
    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc="finetune+evaluate",
        unit="job",
        disable=not progress,
    )
    if todo:
        context = multiprocessing.get_context("spawn")
        with futures.ProcessPoolExecutor(preset.workers, mp_context=context) as pool:
            for done in futures.as_completed([pool.submit(finetune_and_evaluate, job) for job in todo]):
                done.result()
                bar.update()
    bar.close()

    # 5. Results.
    records = [json.loads(line) for job in jobs for line in Path(job["results"]).read_text().splitlines()]
    atomic_write_bytes(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in records).encode())
    return write_report(out, records, preset, probes, wall_seconds=time.perf_counter() - started)


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
    finetune(job["store"], job["out"], policy_type, job["encoder"], config, progress=False)
    records = evaluate(
        job["out"],
        episodes=preset.eval_episodes,
        seed=job["seed"],
        extra={"method": method, "demos": job["demos"], "finetune_seed": job["seed"]},
        progress=False,
    )
    atomic_write_bytes(Path(job["results"]), "".join(json.dumps(r) + "\n" for r in records).encode())
    return job["results"]
