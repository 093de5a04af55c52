"""Command-line flags generated from typed config dataclasses.

Every dataclass field becomes ``--field-name`` with its type, default and the one-line docstring
written under the field, so a new config option is documented in ``--help`` by construction.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from typing import Any


def field_docs(cls: type) -> dict[str, str]:
    """The string literal written right after each field of a dataclass body."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, following in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _parser_for(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """argparse ``type`` and extra keyword arguments for one annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        return _parser_for(inner)
    if origin is tuple:
        return args[0], {"nargs": "+"}
    if origin is typing.Literal:
        return type(args[0]), {"choices": args}
    if annotation is bool:
        return None, {"action": argparse.BooleanOptionalAction}
    return annotation, {}


def add_dataclass_arguments(
    parser: argparse.ArgumentParser | Any, cls: type, title: str | None = None, skip: tuple[str, ...] = ()
) -> None:
    group = parser.add_argument_group(title) if title else parser
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        kind, extra = _parser_for(hints[field.name])
        kwargs: dict[str, Any] = {"dest": field.name, **extra}
        if field.default is not dataclasses.MISSING:
            kwargs["default"] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            kwargs["default"] = field.default_factory()
        else:
            kwargs["required"] = True
        shown = f"default: {kwargs['default']}" if "default" in kwargs else "required"
        kwargs["help"] = f"{docs.get(field.name, '')} ({shown})".replace("%", "%%")  # argparse formats help
        if kind is not None:
            kwargs["type"] = kind
            if "choices" not in extra:
                kwargs["metavar"] = getattr(kind, "__name__", "VALUE").upper()
        group.add_argument("--" + field.name.replace("_", "-"), **kwargs)


def build_dataclass(cls: type, namespace: argparse.Namespace) -> Any:
    values = {}
    for field in dataclasses.fields(cls):
        if hasattr(namespace, field.name):
            value = getattr(namespace, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)
