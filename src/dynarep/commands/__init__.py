"""The verbs of the ``dynarep`` command, one module per family. Importing this package registers
them, in the order ``dynarep --help`` lists them."""

from dynarep.commands import data, training, evaluation, actionfree, experiments  # noqa: F401, I001  (registers, in order)
from dynarep.commands.base import (  # noqa: F401
    COMMAND_FILE,
    Verb,
    get_verb,
    parse,
    register_verb,
    usage,
    verb_names,
)
