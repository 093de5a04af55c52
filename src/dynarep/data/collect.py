"""``dynarep collect``: roll out the scripted expert and write an episode store.

Episodes are produced by worker processes (each creates its own renderer: a fork after the parent
has rendered deadlocks, so workers start with ``spawn``). Each finished episode is written
atomically as its own chunk; the store is assembled from the chunks at the end. Re-running after an
interruption therefore skips finished episodes and never duplicates or corrupts them.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from dynarep.config_checks import AT_LEAST_0, AT_LEAST_1, FRACTION, Checked
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
    store_files,
)
from dynarep.envs import ActionNoise, Environment, env_config_to_dict, make_environment
from dynarep.files import check_folder_path, checksums, open_npy, read_parquet, seal
from dynarep.pools import spawned_pool


@dataclass(frozen=True)
class CollectSpec(Checked):
    """Which episodes a store holds; two runs with equal specs produce identical stores."""

    episodes: Annotated[int, AT_LEAST_1]
    """Number of episodes."""
    first_task: int = 0
    """Task id (hidden goal seed) of episode 0."""
    episodes_per_task: Annotated[int, AT_LEAST_1] = 1
    """Episodes sharing one hidden context: 1 for pretraining corpora, K for a finetuning set."""
    seed: int = 0
    """Seed of the start positions."""
    expert_noise: Annotated[float, AT_LEAST_0] = 0.0
    """Std of Gaussian noise added to the expert's action (protocol sigma)."""
    noise_correlation: Annotated[float, FRACTION] = 0.0
    """Correlation of the noise from one step to the next (AR(1)): 0 draws afresh every step (the
    protocol's noisy expert); 0.9 keeps a perturbation for about 10 steps, the same std."""
    success_only: bool = False
    """Keep only episodes in which the expert succeeds, re-running a failed one from new starts."""
    max_retries: Annotated[int, AT_LEAST_0] = 10
    """With --success-only: new starts tried per episode before collection stops with an error (in
    a corpus of one episode per configuration, then as many new configurations, one start each)."""

    def task_of(self, episode: int) -> int:
        return self.first_task + episode // self.episodes_per_task

    def start_seed_of(self, episode: int, attempt: int = 0) -> int:
        return self.seed * 1_000_003 + episode + attempt * RETRY_SEED_STRIDE


RETRY_SEED_STRIDE = 7_919_000_033  # retries start far from every first-attempt seed
REPLACEMENT_TASK_STRIDE = 1_000_000_000
"""A replacement configuration's task id is the original's plus k times this: far from the task
ids of every corpus, finetuning set and probe set (all below 10^7)."""


def record_with_retries(environment: Environment, spec: CollectSpec, indices: list[int]) -> list[Episode]:
    """Expert episodes for ``indices``; with ``success_only``, failed ones are redone from new starts.

    Some configurations defeat the scripted expert from every start (a Metaworld object placed
    where its policy cannot grasp it). In a corpus of one episode per configuration a configuration
    is a draw, not a requirement, so such an episode moves to a new configuration (task id + k x
    ``REPLACEMENT_TASK_STRIDE``; the store's ``task_index`` records the one used). A finetuning set
    shares one configuration, so there the expert's failure is an error."""
    episodes: dict[int, Episode] = {}
    pending = list(indices)
    tries = [(k, 0) for k in range(spec.max_retries + 1)] if spec.success_only else [(0, 0)]
    if spec.success_only and spec.episodes_per_task == 1:
        tries += [(0, k) for k in range(1, spec.max_retries + 1)]
    for attempt, replacement in tries:
        recorded = environment.record_episodes(
            [spec.task_of(i) + replacement * REPLACEMENT_TASK_STRIDE for i in pending],
            [spec.start_seed_of(i, attempt) for i in pending],
            ActionNoise(spec.expert_noise, spec.noise_correlation),
        )
        for index, episode in zip(pending, recorded, strict=True):
            episodes[index] = episode
        pending = [i for i in pending if not episodes[i].successes.any()] if spec.success_only else []
        if not pending:
            return [episodes[i] for i in indices]
    others = f" and {spec.max_retries} other configurations" if spec.episodes_per_task == 1 else ""
    raise StoreError(
        f"--success-only: the expert failed task {spec.task_of(pending[0])} (episode {pending[0]}) from "
        f"{spec.max_retries + 1} starts{others}; raise --max-retries or collect without --success-only"
    )


def _chunk_paths(chunks: Path, index: int) -> tuple[Path, Path]:
    return chunks / f"episode_{index:06d}.npy", chunks / f"episode_{index:06d}.parquet"


def _write_chunks(environment: Environment, spec: CollectSpec, chunks: Path, indices: list[int]) -> int:
    """Record episodes and write each as an atomic chunk."""
    episodes = record_with_retries(environment, spec, indices)
    for index, episode in zip(indices, episodes, strict=True):
        frames_path, table_path = _chunk_paths(chunks, index)
        metadata = {
            "start_seed": str(episode.start_seed),
            "context": ",".join(repr(float(x)) for x in episode.context),
        }
        if episode.task_index != spec.task_of(index):  # a replaced configuration
            metadata["task_index"] = str(episode.task_index)
        table = frame_table(episode, index, environment.fps).replace_schema_metadata(metadata)
        atomic_save_npy(frames_path, episode.frames)
        atomic_write_parquet(table_path, table)  # written last: its presence marks the chunk done
    return len(indices)


_WORKER_ENVIRONMENT: dict[str, Environment] = {}


def _write_chunks_in_worker(
    env_dict: dict[str, Any], spec_dict: dict[str, Any], chunks: str, indices: list[int]
) -> int:
    """Worker entry point. The worker keeps one environment for all its batches (a simulator and a
    GL context cost ~0.2 s to create); it is released when the pool's process exits."""
    key = json.dumps(env_dict, sort_keys=True)
    if key not in _WORKER_ENVIRONMENT:
        _WORKER_ENVIRONMENT.clear()
        _WORKER_ENVIRONMENT[key] = make_environment(env_dict)
    return _write_chunks(_WORKER_ENVIRONMENT[key], CollectSpec(**spec_dict), Path(chunks), indices)


def collect(
    out: str | Path,
    env: Any,
    spec: CollectSpec,
    workers: int = 2,
    batch: int = 10,
    progress: bool = True,
) -> EpisodeStore:
    """Write (or finish) the store at ``out`` and return it opened; ``env`` is the config of a
    registered environment (``dynarep.envs``)."""
    out = check_folder_path(out)
    environment = make_environment(env)
    # as JSON reads it back (tuples become lists), so that it compares equal to a stored copy
    provenance = json.loads(json.dumps({"env": env_config_to_dict(env), "collection": recorded_spec(spec)}))
    info_path = out / "meta" / "info.json"
    if info_path.exists():
        store = EpisodeStore(out)
        found = {"env": store.info["env"], "collection": store.info["collection"]}
        if found != provenance:
            raise StoreError(f"{info_path}: a different store already exists here ({found})")
        return store
    environment.check_available()
    created = not out.exists()
    chunks = out / "chunks"
    fresh = not chunks.exists()
    chunks.mkdir(parents=True, exist_ok=True)
    try:
        _write_missing_chunks(out, chunks, environment, spec, provenance, workers, batch, progress)
    except StoreError:
        # a refusal (e.g. --success-only out of retries) repeats on a re-run, so its partial chunks
        # would only block the corrected command; an interruption or crash keeps them for resuming
        if fresh:
            shutil.rmtree(out if created else chunks)
        raise
    _assemble(out, chunks, environment, spec, provenance)
    return EpisodeStore(out)


def _write_missing_chunks(
    out: Path,
    chunks: Path,
    environment: Environment,
    spec: CollectSpec,
    provenance: dict[str, Any],
    workers: int,
    batch: int,
    progress: bool,
) -> None:
    """Record every episode that has no finished chunk yet."""
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
        if workers <= 1 or len(groups) == 1:  # one batch: starting processes costs more than it saves
            try:
                for group in groups:
                    bar.update(_write_chunks(environment, spec, chunks, group))
            finally:
                environment.close()
        else:
            args = (provenance["env"], asdict(spec), str(chunks))
            with spawned_pool(workers) as pool:
                jobs = [pool.submit(_write_chunks_in_worker, *args, g) for g in groups]
                for done in futures.as_completed(jobs):
                    bar.update(done.result())
    bar.close()


def recorded_spec(spec: CollectSpec) -> dict[str, Any]:
    """The spec as recorded; options are left out while unused (retries, correlated noise), so
    stores made before they existed keep matching their own collect command."""
    data = asdict(spec)
    if not spec.success_only:
        del data["success_only"], data["max_retries"]
    if not spec.noise_correlation:
        del data["noise_correlation"]
    return data


def _assemble(out: Path, chunks: Path, environment: Environment, spec: CollectSpec, provenance: dict) -> None:
    """Concatenate the chunks into the final store; ``meta/info.json`` is written last."""
    tables, rows, start = [], [], 0
    frame_count = 0
    for i in range(spec.episodes):
        table = read_parquet(_chunk_paths(chunks, i)[1])
        tables.append(table)
        frame_count += table.num_rows
    size = environment.image_size
    # streamed into the file, not through a memory map: the process's resident memory stays at one
    # episode's frames instead of growing to the whole store's
    with (chunks / "assembled.npy").open("wb") as assembled:
        header = {"descr": "|u1", "fortran_order": False, "shape": (frame_count, size, size, 3)}
        np.lib.format.write_array_header_1_0(assembled, header)
        for i, table in enumerate(tables):
            frames_path = _chunk_paths(chunks, i)[0]
            frames = open_npy(frames_path, mmap=False)
            if frames.dtype != np.uint8 or frames.shape != (table.num_rows, size, size, 3):
                raise StoreError(f"{frames_path}: {frames.dtype} {frames.shape}, not its episode's frames")
            assembled.write(np.ascontiguousarray(frames).data)
            meta = table.schema.metadata
            rows.append(
                {
                    "episode_index": i,
                    "task_index": int(meta.get(b"task_index", spec.task_of(i))),
                    "start_seed": int(meta[b"start_seed"]),
                    "context": [float(x) for x in meta[b"context"].split(b",")],
                    "length": table.num_rows - 1,
                    "frame_start": start,
                    "success": bool(table["next.success"].to_numpy().any()),
                }
            )
            start += len(frames)
    image_path = out / "images" / f"{IMAGE_KEY}.npy"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    (chunks / "assembled.npy").replace(image_path)
    atomic_write_parquet(
        out / "data" / "frames.parquet", pa.concat_tables([t.replace_schema_metadata(None) for t in tables])
    )
    atomic_write_parquet(out / "meta" / "episodes.parquet", pa.Table.from_pylist(rows))
    successes = [r["success"] for r in rows]
    correlation = {"noise_correlation": spec.noise_correlation} if spec.noise_correlation else {}
    info = {
        "schema_version": SCHEMA_VERSION,
        "codebase_version": "dynarep-0.1",
        **provenance,
        "env_version": f"{environment.registry_name}/{environment.version}",
        "expert": {**environment.expert_info(), "noise": spec.expert_noise, **correlation},
        "fps": environment.fps,
        "num_episodes": spec.episodes,
        "num_frames": frame_count,
        "image_keys": [IMAGE_KEY],
        "state_names": list(environment.state_names),
        "context_names": list(environment.context_names),
        "expert_success_rate": float(np.mean(successes)),
    }
    replaced = {
        r["episode_index"]: r["task_index"]
        for r in rows
        if r["task_index"] != spec.task_of(r["episode_index"])
    }
    if replaced:  # said where a reader of the store looks, and only then (older stores unchanged)
        info["replaced_configurations"] = {
            "why": "the expert failed the planned configuration from every start",
            "episodes": {str(i): {"planned": spec.task_of(i), "used": t} for i, t in replaced.items()},
        }
    if environment.reward_rule:
        info["reward"] = environment.reward_rule
    info["checksums"] = checksums(out, store_files(out))
    atomic_write_json(out / "meta" / "info.json", seal(info))
    shutil.rmtree(chunks)
