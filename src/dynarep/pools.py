"""Pools of spawned worker processes, with a useful message when a worker dies.

Workers are started with ``spawn`` (each builds its own simulator and renderer; a fork after the
parent has rendered deadlocks). A spawned worker imports the parent's main script again, so a user
script that calls ``benchmark.run`` or ``collect`` at top level, without an
``if __name__ == "__main__":`` guard, starts the job again inside every worker; they fail, and
Python reports only that "a process in the process pool was terminated abruptly". The other
common cause is the kernel killing a worker for memory. This module says both.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

HINT = (
    "a worker process died: it was killed (for memory?), or the script that started it lacks an "
    '`if __name__ == "__main__":` guard (workers are spawned and import that script again)'
)


def explain(error: BrokenProcessPool) -> BrokenProcessPool:
    """The same error with the likely causes in its message."""
    explained = BrokenProcessPool(f"{HINT}; Python said: {error}")
    explained.__cause__ = error
    return explained


@contextmanager
def spawned_pool(workers: int) -> Iterator[futures.ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes whose broken-pool errors carry
    :data:`HINT`."""
    context = multiprocessing.get_context("spawn")
    try:
        with futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            yield pool
    except BrokenProcessPool as error:
        raise explain(error) from error
