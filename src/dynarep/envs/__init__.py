"""Environments behind one seam (``base.Environment``), registered by name.

Importing this package registers the built-in environments; ``metaworld`` imports the Metaworld
package only when one of its environments is used, so the core installs without it.
"""

from dynarep.envs import metaworld, pointmass  # noqa: F401  (importing registers them)
from dynarep.envs.base import (  # noqa: F401
    Environment,
    env_config_from_dict,
    env_config_to_dict,
    environment_names,
    get_environment,
    make_environment,
    register_environment,
)
from dynarep.envs.experts import ActionNoise  # noqa: F401
