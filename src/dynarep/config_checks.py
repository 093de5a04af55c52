"""Valid ranges of config fields, declared where each field is defined and checked on construction.

A field says its range in its annotation, ``steps: Annotated[int, AT_LEAST_0] = 2000``, and a
config that derives from ``Checked`` refuses an out-of-range value the moment it is built, with one
line naming the flag: ``--batch-size 0: must be at least 1``. Configs are built from the command
line before any file is opened, so a bad flag never leaves anything on disk.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """A config field holds a value outside its declared range. Not a ``ValueError`` on purpose:
    the flag parser (tyro) turns a ``ValueError`` raised while building a config into a boxed
    message of its own, and this one must reach the command as the one-line error it is."""


@dataclass(frozen=True)
class Range:
    """low <= value (< or <=) high; ``open_low`` makes the lower bound strict."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def contains(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.open_low and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.open_high and value == self.high))

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.open_low else 'at least'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'below' if self.open_high else 'at most'} {self.high:g}")
        return " and ".join(parts)


AT_LEAST_0 = Range(0)
AT_LEAST_1 = Range(1)
POSITIVE = Range(0, open_low=True)
FRACTION = Range(0, 1, open_high=True)
"""A share in [0, 1): a dropout rate, a held-out fraction."""
IMAGE_SIZE = Range(8, 1024)


def check_ranges(config: Any) -> None:
    """Raise ``ConfigError`` for the first field outside the range (or ``Literal`` choices) its
    annotation declares."""
    hints = typing.get_type_hints(type(config), include_extras=True)
    for field in dataclasses.fields(config):
        choices = (
            typing.get_args(hints.get(field.name))
            if typing.get_origin(hints.get(field.name)) is typing.Literal
            else ()
        )
        if choices and getattr(config, field.name) not in choices:
            raise ConfigError(
                f"--{field.name.replace('_', '-')} {getattr(config, field.name)!r}: choose one of "
                + ", ".join(map(str, choices))
            )
        rules = [
            rule for rule in getattr(hints.get(field.name), "__metadata__", ()) if isinstance(rule, Range)
        ]
        value = getattr(config, field.name)
        if not rules or value is None:
            continue
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise ConfigError(f"--{field.name.replace('_', '-')} {value!r}: must be a number")
            for rule in rules:
                if not rule.contains(item):
                    raise ConfigError(f"--{field.name.replace('_', '-')} {value}: must be {rule.describe()}")


class Checked:
    """Base of config dataclasses whose fields declare ranges: checked in ``__post_init__``."""

    def __post_init__(self) -> None:
        check_ranges(self)
