"""The launcher seam: how a sweep runs its independent jobs (here, or on a cluster).

A launcher is one module registered by name with a config dataclass (its documented fields are
the options a sweep spec's ``launcher_options`` may set). ``run(function, jobs, folder)`` calls
the module-level ``function`` once per JSON-able job and returns what each call returned, in job
order; a job whose call raised returns the exception instead, so that one failure never stops
the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dynarep.registry import Registry


class Launcher:
    """Base class; the config is the only constructor argument."""

    registry_name: str

    def __init__(self, config: Any) -> None:
        self.config = config

    def run(
        self, function: Callable[[dict[str, Any]], Any], jobs: list[dict[str, Any]], folder: Path
    ) -> list[Any]:
        raise NotImplementedError


_LAUNCHERS: Registry[type[Launcher]] = Registry("launcher")
register_launcher = _LAUNCHERS.register
launcher_names = _LAUNCHERS.names
get_launcher = _LAUNCHERS.get


def make_launcher(name: str, options: dict[str, Any] | None = None) -> Launcher:
    """The launcher ``name`` with ``options`` set on its config (unknown options are refused)."""
    config_class, launcher_class = get_launcher(name)
    fields = config_class.__dataclass_fields__
    unknown = sorted(set(options or {}) - set(fields))
    if unknown:
        raise ValueError(
            f"launcher {name}: unknown option(s) {', '.join(unknown)}; it takes {', '.join(fields)}"
        )
    return launcher_class(config_class(**(options or {})))
