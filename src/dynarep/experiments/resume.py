"""Resuming a benchmark folder only under the preset that made it.

A benchmark skips every job whose result is on disk, so a folder resumed under another preset would
mix finished results of the old one with new results, while its ``preset.json`` claimed the new.
Both benchmarks (``benchmark.py``, ``actionfree.py``) refuse that before writing anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dynarep.files import read_json


def check_resumable(out: Path, preset: Any, resumable: tuple[str, ...]) -> None:
    """Refuse to resume ``out`` under a ``preset`` (a dataclass whose ``from_dict`` reads back its
    ``asdict``) that differs from ``out/preset.json`` in a field outside ``resumable`` (those that
    change no finished result: rows, pool sizes). Fields added to the preset since the folder was
    made compare against their defaults."""
    recorded = out / "preset.json"
    if not recorded.exists():
        return
    try:
        stored = as_json(type(preset).from_dict(read_json(recorded)))
    except TypeError as error:
        message = f"{recorded}: not a preset of this benchmark ({error}); choose another --out"
        raise ValueError(message) from None
    current = as_json(preset)
    changed = [name for name in current if name not in resumable and stored[name] != current[name]]
    if changed:
        raise ValueError(
            f"--out {out}: holds a run of another preset ({', '.join(changed)} differ; see its "
            "preset.json); choose another --out, or delete the folder to start again"
        )


def as_json(preset: Any) -> dict[str, Any]:
    """The preset as its ``preset.json`` reads back: tuples become lists, so values compare alike."""
    return json.loads(json.dumps(asdict(preset)))
