"""Pretraining objectives: one module each, registered by name.

Importing this package registers the built-in objectives; a user's objective registers itself the
same way from their own package (see docs/objectives.md).
"""

from dynarep.objectives import behavior_cloning, inverse_dynamics  # noqa: F401  (registration)
from dynarep.objectives.base import (  # noqa: F401
    Batch,
    Objective,
    Window,
    get_objective,
    objective_names,
    register_objective,
)
