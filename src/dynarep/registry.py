"""Named registries of (config class, implementation class) pairs: the pattern behind every seam.

Objectives and environments each keep one ``Registry``; a module registers its class with the
registry's decorator, and the name becomes a command-line choice (``--objective``, ``--env``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    """Name -> (config class, class) for one kind of thing (``"objective"``, ``"environment"``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, tuple[type, T]] = {}

    def register(self, name: str, config_class: type) -> Callable[[T], T]:
        """Class decorator: make ``name`` a valid choice; the class learns its ``registry_name``."""

        def decorate(cls: T) -> T:
            if name in self._entries and self._entries[name][1] is not cls:
                raise ValueError(f"{self.kind} {name!r} is already registered by {self._entries[name][1]}")
            self._entries[name] = (config_class, cls)
            cls.registry_name = name
            return cls

        return decorate

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> tuple[type, T]:
        """(config class, class) for a registered name, or a one-line error listing the names."""
        if name not in self._entries:
            raise KeyError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}")
        return self._entries[name]

    def name_of_config(self, config: object) -> str:
        """The registered name whose config class ``config`` is an instance of."""
        for name, (config_class, _) in self._entries.items():
            if isinstance(config, config_class):
                return name
        raise KeyError(f"{type(config).__name__} is not the config of a registered {self.kind}")
