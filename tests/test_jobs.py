"""The benchmark's job pool: longest jobs first, side jobs in the same pool, records in job order."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from dynarep.experiments.jobs import run_jobs


def record_start(job: dict[str, Any]) -> str:
    """A worker that notes when it ran (CLOCK_MONOTONIC is shared by every process)."""
    record = {"name": job["name"], "started_ns": time.monotonic_ns()}
    Path(job["results"]).write_text(json.dumps(record) + "\n")
    return job["results"]


def test_longest_first_side_jobs_and_order_of_records(tmp_path: Path) -> None:
    def job(name: str, cost: float) -> dict[str, Any]:
        return {"name": name, "cost": cost, "results": str(tmp_path / f"{name}.jsonl")}

    jobs = [job("frozen", 1.0), job("state", 0.5), job("scratch", 3.0), job("done", 9.0)]
    Path(jobs[-1]["results"]).write_text(json.dumps({"name": "done", "started_ns": -1}) + "\n")
    side = [(record_start, job("probe", 2.0))]

    records = run_jobs(
        jobs, record_start, 1, tmp_path, "jobs", progress=False, cost=lambda j: j["cost"], side_jobs=side
    )

    assert [r["name"] for r in records] == ["frozen", "state", "scratch", "done"]  # the table's order
    assert json.loads((tmp_path / "results.jsonl").read_text().splitlines()[0])["name"] == "frozen"
    assert records[-1]["started_ns"] == -1  # a job with results is not run again
    probe = json.loads(Path(side[0][1]["results"]).read_text())
    ran = sorted([*records[:-1], probe], key=lambda r: r["started_ns"])
    assert [r["name"] for r in ran] == ["scratch", "probe", "frozen", "state"]  # one worker: cost order
