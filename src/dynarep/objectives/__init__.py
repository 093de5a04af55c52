"""Pretraining objectives: one module each, registered by name.

Importing this package registers the built-in objectives; a user's objective registers itself the
same way from their own package (see docs/objectives.md).
"""

from dynarep.objectives import (  # noqa: F401  (importing registers them)
    behavior_cloning,
    dynamo,
    forward_contrastive,
    forward_pixels,
    inverse_dynamics,
    simclr,
)
from dynarep.objectives.base import (  # noqa: F401
    Batch,
    Objective,
    Window,
    get_objective,
    info_nce,
    objective_names,
    register_objective,
)
