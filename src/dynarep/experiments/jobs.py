"""Run a benchmark's independent jobs in spawned worker processes, skipping those already done.

A job is a JSON-able dict with a ``results`` path; the worker writes one JSON line per rollout
there when it finishes, so a file's presence marks the job done and an interrupted benchmark
resumes with the jobs that have no results yet.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynarep.data.store import atomic_write_bytes
from dynarep.pools import spawned_pool


def run_jobs(
    jobs: list[dict[str, Any]],
    worker: Callable[[dict[str, Any]], str],
    workers: int,
    out: Path,
    desc: str,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run the jobs without results in a pool; gather every job's records into ``out/results.jsonl``
    and return them."""
    todo = [job for job in jobs if not Path(job["results"]).exists()]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc=desc, unit="job", disable=not progress)
    if todo:
        with spawned_pool(workers) as pool:  # workers build their own simulators
            for done in futures.as_completed([pool.submit(worker, job) for job in todo]):
                done.result()
                bar.update()
    bar.close()
    records = [json.loads(line) for job in jobs for line in Path(job["results"]).read_text().splitlines()]
    atomic_write_bytes(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in records).encode())
    return records
