"""Run a benchmark's independent jobs in spawned worker processes, skipping those already done.

A job is a JSON-able dict with a ``results`` path; the worker writes one JSON line per rollout
there when it finishes, so a file's presence marks the job done and an interrupted benchmark
resumes with the jobs that have no results yet.

Jobs are submitted most expensive first (longest-processing-time order): on two workers, a long
job submitted last runs alone while the other core idles. Side jobs (a benchmark's probes) share
the pool the same way, so they fill cores instead of running as a stage of their own.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynarep.data.store import atomic_write_bytes
from dynarep.pools import spawned_pool

Job = dict[str, Any]
Worker = Callable[[Job], Any]


def run_jobs(
    jobs: list[Job],
    worker: Worker,
    workers: int,
    out: Path,
    desc: str,
    progress: bool = True,
    cost: Callable[[Job], float] = lambda job: 1.0,
    side_jobs: Sequence[tuple[Worker, Job]] = (),
) -> list[Job]:
    """Run the jobs without results in a pool; gather every job's records into ``out/results.jsonl``
    and return them, in the order of ``jobs``.

    ``cost(job)``: a job's rough relative run time; the most expensive are submitted first.
    ``side_jobs``: (worker, job) pairs run in the same pool, ordered by the same ``cost``, whose
    ``results`` files are not gathered (e.g. probes writing ``probe.json``)."""
    tasks = [(worker, job) for job in jobs] + list(side_jobs)
    todo = sorted((t for t in tasks if not Path(t[1]["results"]).exists()), key=lambda t: -cost(t[1]))
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, unit="job", disable=not progress)
    if todo:
        with spawned_pool(workers) as pool:  # workers build their own simulators
            for done in futures.as_completed([pool.submit(run, job) for run, job in todo]):
                done.result()
                bar.update()
    bar.close()
    records = [json.loads(line) for job in jobs for line in Path(job["results"]).read_text().splitlines()]
    atomic_write_bytes(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in records).encode())
    return records
