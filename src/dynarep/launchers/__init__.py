"""Launchers: how a sweep runs its jobs. Importing this package registers the built-in ones."""

from dynarep.launchers import local, slurm  # noqa: F401  (importing registers them)
from dynarep.launchers.base import (  # noqa: F401
    Launcher,
    get_launcher,
    launcher_names,
    make_launcher,
    register_launcher,
)
