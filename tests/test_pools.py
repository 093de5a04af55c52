"""Spawned worker pools: a dead worker is reported with its likely causes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from dynarep.pools import spawned_pool


def test_pool_runs_jobs_in_other_processes() -> None:
    with spawned_pool(2) as pool:
        pids = {pool.submit(os.getpid).result() for _ in range(4)}
    assert os.getpid() not in pids


def test_script_without_main_guard_gets_the_hint(tmp_path: Path) -> None:
    # top-level pool use, as a user script that calls benchmark.run without the guard does
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import os\n"
        "from dynarep.pools import spawned_pool\n"
        "with spawned_pool(1) as pool:\n"
        "    pool.submit(os.getpid).result()\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert "BrokenProcessPool" in last_line and '__name__ == "__main__"' in last_line


def test_killed_worker_is_explained() -> None:
    with pytest.raises(BrokenProcessPool, match="killed"):
        with spawned_pool(1) as pool:
            worker = pool.submit(os.getpid).result()
            pool.submit(os.kill, worker, signal.SIGKILL).result()
