"""``dynarep collect``: roll out the scripted expert and write an episode store.

Episodes are produced by worker processes (each creates its own renderer: a fork after the parent
has rendered deadlocks, so workers start with ``spawn``). Each finished episode is written
atomically as its own chunk; the store is assembled from the chunks at the end. Re-running after an
interruption therefore skips finished episodes and never duplicates or corrupts them.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import multiprocessing
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from dynarep.data.store import (
    IMAGE_KEY,
    SCHEMA_VERSION,
    Episode,
    EpisodeStore,
    StoreError,
    atomic_save_npy,
    atomic_write_json,
    atomic_write_parquet,
    frame_table,
)
from dynarep.envs.experts import pointmass_expert
from dynarep.envs.pointmass import PointMassBatch, PointMassConfig, goal_for_task, start_for_seed

FPS = 20.0  # 0.05 s control steps


@dataclass(frozen=True)
class CollectSpec:
    """Which episodes a store holds; two runs with equal specs produce identical stores."""

    episodes: int
    """Number of episodes."""
    first_task: int = 0
    """Task id (hidden goal seed) of episode 0."""
    episodes_per_task: int = 1
    """Episodes sharing one hidden context: 1 for pretraining corpora, K for a finetuning set."""
    seed: int = 0
    """Seed of the start positions."""
    expert_noise: float = 0.0
    """Std of Gaussian noise added to the expert's action (protocol sigma)."""

    def task_of(self, episode: int) -> int:
        return self.first_task + episode // self.episodes_per_task

    def start_seed_of(self, episode: int) -> int:
        return self.seed * 1_000_003 + episode


def record_episodes(env: PointMassConfig, spec: CollectSpec, indices: list[int]) -> list[Episode]:
    """Run the expert on a batch of episodes in lockstep (one model and renderer for all)."""
    sim = PointMassBatch(env, len(indices))
    goals = np.stack([goal_for_task(spec.task_of(i)) for i in indices])
    sim.reset(np.stack([start_for_seed(spec.start_seed_of(i)) for i in indices]), goals)
    rngs = [np.random.default_rng([spec.start_seed_of(i), 11]) for i in indices]
    frames, states, actions, successes = [], [], [], []
    for step in range(env.episode_steps + 1):
        frames.append(sim.render())
        positions, velocities = sim.positions(), sim.velocities()
        states.append(np.concatenate([positions, velocities], axis=1))
        successes.append(sim.succeeded.copy())
        if step == env.episode_steps:
            break
        action = np.stack(
            [
                pointmass_expert(p, v, g, spec.expert_noise, rng)
                for p, v, g, rng in zip(positions, velocities, goals, rngs, strict=True)
            ]
        )
        actions.append(action)
        sim.step(action)
    sim.close()
    # (steps, episodes, ...) -> (episodes, steps, ...)
    frames, states, actions, successes = (np.stack(x, axis=1) for x in (frames, states, actions, successes))
    return [
        Episode(
            frames=frames[j],
            states=states[j].astype(np.float32),
            actions=actions[j].astype(np.float32),
            successes=successes[j],
            task_index=spec.task_of(i),
            start_seed=spec.start_seed_of(i),
            context=goals[j],
        )
        for j, i in enumerate(indices)
    ]


def _chunk_paths(chunks: Path, index: int) -> tuple[Path, Path]:
    return chunks / f"episode_{index:06d}.npy", chunks / f"episode_{index:06d}.parquet"


def _write_chunks(
    env_dict: dict[str, Any], spec_dict: dict[str, Any], chunks: str, indices: list[int]
) -> int:
    """Worker entry point: record episodes and write each as an atomic chunk."""
    env = PointMassConfig.from_dict(env_dict)
    spec = CollectSpec(**spec_dict)
    for index, episode in zip(indices, record_episodes(env, spec, indices), strict=True):
        frames_path, table_path = _chunk_paths(Path(chunks), index)
        table = frame_table(episode, index, FPS).replace_schema_metadata(
            {
                "start_seed": str(episode.start_seed),
                "context": ",".join(repr(float(x)) for x in episode.context),
            }
        )
        atomic_save_npy(frames_path, episode.frames)
        atomic_write_parquet(table_path, table)  # written last: its presence marks the chunk done
    return len(indices)


def collect(
    out: str | Path,
    env: PointMassConfig,
    spec: CollectSpec,
    workers: int = 2,
    batch: int = 10,
    progress: bool = True,
) -> EpisodeStore:
    """Write (or finish) the store at ``out`` and return it opened."""
    out = Path(out)
    provenance = {"env": env.to_dict(), "collection": asdict(spec)}
    info_path = out / "meta" / "info.json"
    if info_path.exists():
        store = EpisodeStore(out)
        found = {"env": store.info["env"], "collection": store.info["collection"]}
        if found != provenance:
            raise StoreError(f"{info_path}: a different store already exists here ({found})")
        return store
    if spec.episodes <= 0:
        raise StoreError(f"{out}: cannot collect {spec.episodes} episodes; ask for at least 1")
    chunks = out / "chunks"
    chunks.mkdir(parents=True, exist_ok=True)
    spec_file = chunks / "spec.json"
    if spec_file.exists():
        if json.loads(spec_file.read_text()) != provenance:
            raise StoreError(f"{spec_file}: unfinished chunks of a different collection; remove {out}")
    else:
        atomic_write_json(spec_file, provenance)
    todo = [i for i in range(spec.episodes) if not _chunk_paths(chunks, i)[1].exists()]
    groups = [todo[i : i + batch] for i in range(0, len(todo), batch)]
    bar = tqdm(
        total=spec.episodes,
        initial=spec.episodes - len(todo),
        desc=f"collect {out.name}",
        unit="ep",
        disable=not progress,
    )
    if groups:
        args = (env.to_dict(), asdict(spec), str(chunks))
        if workers <= 1 or len(groups) == 1:  # one batch: starting processes costs more than it saves
            for group in groups:
                bar.update(_write_chunks(*args, group))
        else:
            context = multiprocessing.get_context("spawn")
            with futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                for done in futures.as_completed([pool.submit(_write_chunks, *args, g) for g in groups]):
                    bar.update(done.result())
    bar.close()
    _assemble(out, chunks, env, spec, provenance)
    return EpisodeStore(out)


def _assemble(out: Path, chunks: Path, env: PointMassConfig, spec: CollectSpec, provenance: dict) -> None:
    """Concatenate the chunks into the final store; ``meta/info.json`` is written last."""
    tables, rows, start = [], [], 0
    frame_count = 0
    for i in range(spec.episodes):
        table = pq.read_table(_chunk_paths(chunks, i)[1])
        tables.append(table)
        frame_count += table.num_rows
    size = env.image_size
    images = np.lib.format.open_memmap(
        chunks / "assembled.npy", mode="w+", dtype=np.uint8, shape=(frame_count, size, size, 3)
    )
    for i, table in enumerate(tables):
        frames = np.load(_chunk_paths(chunks, i)[0])
        images[start : start + len(frames)] = frames
        meta = table.schema.metadata
        success = table["next.success"].to_numpy()
        rows.append(
            {
                "episode_index": i,
                "task_index": spec.task_of(i),
                "start_seed": int(meta[b"start_seed"]),
                "context": [float(x) for x in meta[b"context"].split(b",")],
                "length": table.num_rows - 1,
                "frame_start": start,
                "success": bool(success.any()),
            }
        )
        start += len(frames)
    images.flush()
    del images
    image_path = out / "images" / f"{IMAGE_KEY}.npy"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    (chunks / "assembled.npy").replace(image_path)
    atomic_write_parquet(
        out / "data" / "frames.parquet", pa.concat_tables([t.replace_schema_metadata(None) for t in tables])
    )
    atomic_write_parquet(out / "meta" / "episodes.parquet", pa.Table.from_pylist(rows))
    successes = [r["success"] for r in rows]
    info = {
        "schema_version": SCHEMA_VERSION,
        "codebase_version": "dynarep-0.1",
        **provenance,
        "expert": {"name": "pointmass_pd", "gains": [10.0, 1.0], "noise": spec.expert_noise},
        "fps": FPS,
        "num_episodes": spec.episodes,
        "num_frames": frame_count,
        "image_key": IMAGE_KEY,
        "state_names": ["x", "y", "vx", "vy"],
        "context_names": ["goal_x", "goal_y"],
        "expert_success_rate": float(np.mean(successes)),
    }
    atomic_write_json(out / "meta" / "info.json", info)
    shutil.rmtree(chunks)
