"""Jobs on this machine: in this process, or in a pool of spawned processes."""

from __future__ import annotations

import concurrent.futures as futures
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from dynarep.config_checks import AT_LEAST_1, Checked
from dynarep.launchers.base import Launcher, register_launcher
from dynarep.pools import explain, spawned_pool


@dataclass(frozen=True)
class LocalConfig(Checked):
    """Options of the local launcher."""

    parallel: Annotated[int, AT_LEAST_1] = 1
    """Jobs at once; 1 runs them one after another in this process. Each benchmark job already
    uses the preset's worker processes, so on a small machine 1 is usually fastest."""


@register_launcher("local", LocalConfig)
class Local(Launcher):
    def run(
        self, function: Callable[[dict[str, Any]], Any], jobs: list[dict[str, Any]], folder: Path
    ) -> list[Any]:
        if self.config.parallel == 1:
            return [_call(function, job) for job in jobs]
        with spawned_pool(self.config.parallel) as pool:  # jobs build their own simulators
            submitted = [pool.submit(function, job) for job in jobs]
            return [_outcome(done) for done in submitted]


def _call(function: Callable[[dict[str, Any]], Any], job: dict[str, Any]) -> Any:
    try:
        return function(job)
    except Exception as error:  # noqa: BLE001  (reported by the caller, the other jobs go on)
        return error


def _outcome(done: futures.Future) -> Any:
    try:
        return done.result()
    except BrokenProcessPool as error:
        return explain(error)
    except Exception as error:  # noqa: BLE001
        return error
