"""dynarep: pretrain visual encoders on multitask demonstrations, then imitate with few demos.

``dynarep.load_encoder(path)`` is the one call to use a pretrained encoder in your own code.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy: ``import dynarep`` stays cheap (no torch) for the CLI's --help.
    if name in ("load_encoder", "PretrainedEncoder"):
        from dynarep import pretrained

        return getattr(pretrained, name)
    raise AttributeError(f"module 'dynarep' has no attribute {name!r}")
