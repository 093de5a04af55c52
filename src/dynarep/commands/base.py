"""The verb registry of the ``dynarep`` command, and how a verb's arguments are read.

A verb is a function over one arguments dataclass, registered by name like an objective. Flags
come from that dataclass through ``tyro``: every field is a ``--field-name`` flag whose help is the
one-line docstring under the field, and a nested config dataclass (``PretrainConfig``, an
objective's config, ...) contributes its own fields as a group of flags. Verbs whose options depend
on a choice (``pretrain --objective``, ``collect --env``, ``import FORMAT``) build their dataclass
from that choice, read from the command line or the config file before parsing.

``--config FILE`` reads a JSON file of the same shape as the dataclass (``command.json``, which
every verb that writes a folder saves there: the resolved config of the run) as the defaults,
and flags given after it override them.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tyro

COMMAND_FILE = "command.json"
"""What a verb saves in the folder it wrote: its resolved arguments, readable by ``--config``."""


@dataclass(frozen=True)
class Choices:
    """What a verb may read before its flags are parsed: a flag's value from the command line or
    the config file, and the first positional word."""

    argv: Sequence[str]
    file: dict[str, Any]

    def flag(self, name: str, default: Any = None) -> Any:
        """The value of ``--name`` (command line first, then the config file's ``name`` key)."""
        flag = "--" + name.replace("_", "-")
        for i, arg in enumerate(self.argv):
            if arg == flag and i + 1 < len(self.argv):
                return self.argv[i + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
        return self.file.get(name, default)

    def positional(self, key: str, choices: Sequence[str]) -> str | None:
        """The first word on the command line that is one of ``choices`` (``import lerobot ...``,
        wherever it stands among the flags), else the file's ``key``."""
        return next((arg for arg in self.argv if arg in choices), self.file.get(key))


@dataclass(frozen=True)
class Verb:
    """One ``dynarep VERB``: its one-line summary, the dataclass of its arguments (built from the
    choices that decide its options) and the function that runs it, which returns the folder it
    wrote (the resolved arguments are saved there) or None."""

    name: str
    summary: str
    arguments: Callable[[Choices], type]
    run: Callable[[Any], Path | None]


_VERBS: dict[str, Verb] = {}


def register_verb(
    name: str, summary: str, arguments: Callable[[Choices], type] | type
) -> Callable[[Callable[[Any], Path | None]], Callable[[Any], Path | None]]:
    """Decorator: ``@register_verb("pretrain", "...", PretrainArgs)`` over ``def run(args)``.
    ``arguments`` is the arguments dataclass, or a function of the ``Choices`` that returns one."""

    def register(run: Callable[[Any], Path | None]) -> Callable[[Any], Path | None]:
        if name in _VERBS:
            raise ValueError(f"verb {name!r} is registered twice")
        build = arguments if not isinstance(arguments, type) else (lambda _choices, cls=arguments: cls)
        _VERBS[name] = Verb(name, summary, build, run)
        return run

    return register


def get_verb(name: str) -> Verb:
    if name not in _VERBS:
        raise KeyError(f"unknown verb {name!r}; choose one of {', '.join(verb_names())}")
    return _VERBS[name]


def verb_names() -> list[str]:
    return list(_VERBS)


Group = tyro.conf.OmitArgPrefixes
"""Marks a nested config field whose fields become flags without a prefix (``--steps``, not
``--pretrain.steps``): ``pretrain: Annotated[PretrainConfig, Group] = nested(PretrainConfig)``."""


def nested(config_class: type) -> Any:
    """A dataclass field holding a default ``config_class()`` as a group of flags."""
    return dataclasses.field(default_factory=config_class)


def with_fields(name: str, base: type, **groups: type) -> type:
    """``base`` with one more grouped config field per keyword (name -> config class, every field
    with a default), for options decided by a choice (the objective's config for ``--objective``)."""
    fields = [(field, typing.Annotated[cls, Group], nested(cls)) for field, cls in groups.items()]
    cls = dataclasses.make_dataclass(name, fields, bases=(base,), frozen=True)
    cls.__doc__ = base.__doc__  # the verb's description, not the generated signature
    return cls


def pop_config(argv: Sequence[str]) -> tuple[Path | None, list[str]]:
    """Split ``--config FILE`` off the arguments."""
    rest, path = [], None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--config":
            if not args:
                raise ValueError("--config: give a file")
            path = Path(args.pop(0))
        elif arg.startswith("--config="):
            path = Path(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    return path, rest


def read_config_file(path: Path, verb: str) -> dict[str, Any]:
    """A ``--config`` file's values (a JSON object; a ``verb`` key, as ``command.json`` has,
    must name this verb)."""
    from dynarep.files import read_json

    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"--config {path}: expected a JSON object of flag values")
    recorded = data.pop("verb", verb)
    if recorded != verb:
        raise ValueError(f"--config {path}: the arguments of `dynarep {recorded}`, not of `dynarep {verb}`")
    return data


def defaults_from(cls: type, values: dict[str, Any], source: str) -> Any:
    """An instance of the arguments dataclass ``cls`` from a config file's values: nested config
    dataclasses from nested objects, lists as tuples, fields the file leaves out at their defaults
    (or required on the command line). An unknown key is an error naming it."""
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {', '.join(unknown)}; keys: {', '.join(fields)}")
    built = {}
    for name, field in fields.items():
        kind = hints[name]
        kind = typing.get_args(kind)[0] if typing.get_origin(kind) is typing.Annotated else kind
        if name in values:
            value = values[name]
            if dataclasses.is_dataclass(kind) and isinstance(value, dict):
                value = defaults_from(kind, value, f"{source}: {name}")
            built[name] = tuple(value) if isinstance(value, list) else value
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            built[name] = tyro.MISSING
    return cls(**built)


def as_config(args: Any) -> dict[str, Any]:
    """The resolved arguments as JSON values (what ``--config`` reads back)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return str(value) if isinstance(value, Path) else value

    return plain(args)


def parse(verb: Verb, argv: Sequence[str]) -> Any:
    """The verb's arguments dataclass, from ``--config FILE`` (if given) overridden by flags."""
    path, rest = pop_config(argv)
    values = read_config_file(path, verb.name) if path is not None else {}
    cls = verb.arguments(Choices(rest, values))
    default = defaults_from(cls, values, f"--config {path}") if path is not None else None
    description = " ".join(inspect.cleandoc(cls.__doc__ or verb.summary).split())
    return tyro.cli(cls, args=rest, prog=f"dynarep {verb.name}", description=description, default=default)


def usage(out: Any = sys.stdout) -> None:
    """``dynarep --help``: every verb with its summary."""
    width = max(map(len, _VERBS))
    print(
        "usage: dynarep VERB [--config FILE] [OPTIONS]   (dynarep VERB --help for a verb's options)\n",
        file=out,
    )
    print(
        "Pretrain visual encoders on multitask demonstrations (inverse dynamics and rivals), "
        "finetune few-shot policies on the frozen encoder, evaluate by rollouts.\n",
        file=out,
    )
    for name, verb in _VERBS.items():
        print(f"  {name:<{width}}  {verb.summary}", file=out)
