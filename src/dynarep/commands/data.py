"""Verbs that make and check episode stores: ``collect``, ``check``, ``import``, ``export``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from tyro.conf import Positional, arg

from dynarep.commands.base import Choices, Group, register_verb, with_fields
from dynarep.data.collect import CollectSpec

DEFAULT_ENV = "pointmass"


@dataclass(frozen=True)
class CollectArgs:
    """Roll out the scripted expert and write an episode store (resumable: re-run the same command
    to finish an interrupted one). Pass --env NAME --help for an environment's options."""

    out: str
    """Store folder to write."""
    episodes: Annotated[CollectSpec, Group]
    env: str = DEFAULT_ENV
    """Environment (a registered name: pointmass, metaworld, ...)."""
    workers: int = 2
    """Worker processes."""


def collect_arguments(choices: Choices) -> type:
    from dynarep.envs import get_environment

    try:
        env_config = get_environment(choices.flag("env", DEFAULT_ENV))[0]
    except KeyError:
        return CollectArgs  # the unknown name is reported once parsed
    return with_fields("CollectArgs", CollectArgs, environment=env_config)


@register_verb("collect", "roll out the scripted expert into an episode store", collect_arguments)
def collect(args: Any) -> Path:
    from dynarep.data.collect import collect
    from dynarep.envs import get_environment

    get_environment(args.env)
    store = collect(args.out, args.environment, args.episodes, args.workers)
    print(
        f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames, "
        f"expert success {store.info['expert_success_rate']:.2f}"
    )
    return store.root


@dataclass(frozen=True)
class CheckArgs:
    """Open STORE with every file hashed and compared with meta/info.json's checksums; a damaged
    file is named. Tables are always checked on open, frames only here (hashing gigabytes on every
    open would cost more than it saves)."""

    store: Annotated[str, Positional, arg(metavar="STORE")]
    """Episode store."""


@register_verb(
    "check", "verify a store against the SHA-256 recorded when it was written (frames included)", CheckArgs
)
def check(args: CheckArgs) -> None:
    from dynarep.data.store import EpisodeStore

    store = EpisodeStore(args.store, verify=True)
    checked = len(store.checksums)
    print(
        f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames; "
        + (f"{checked} files match their SHA-256" if checked else "no checksums recorded (made before them)")
    )


def format_arguments(kind: str) -> Any:
    """``import FORMAT SOURCE`` / ``export FORMAT STORE``: the format (first word) decides the options."""

    def build(choices: Choices) -> type:
        from dynarep.formats import exporter_names, get_exporter, get_importer, importer_names

        names, get = (
            (importer_names(), get_importer) if kind == "import" else (exporter_names(), get_exporter)
        )
        name = choices.positional("format", names)
        config = get(name)[0] if name in names else None
        base = ImportArgs if kind == "import" else ExportArgs
        return with_fields(base.__name__, base, options=config) if config else base

    return build


@dataclass(frozen=True)
class ImportArgs:
    """Convert data in another format into a new episode store (streaming; nothing is left under
    --out if it fails). Formats: lerobot (a LeRobotDataset v3 folder), video (a folder of MP4s or
    image sequences, action-free), numpy (an .npz of arrays); pass FORMAT --help for its options."""

    format: Annotated[str, Positional, arg(metavar="FORMAT")]
    """Format: lerobot, video or numpy."""
    source: Annotated[str, Positional, arg(metavar="SOURCE")]
    """What to import (a dataset folder, a video folder, an .npz file)."""
    out: str
    """New store folder to write."""


@register_verb(
    "import",
    "bring outside data (a LeRobot dataset, videos, numpy) into a new episode store",
    format_arguments("import"),
)
def import_(args: Any) -> Path:
    from dynarep.data.store import EpisodeStore
    from dynarep.formats import get_importer, import_data

    get_importer(args.format)  # an unknown format: one line naming the choices
    store = EpisodeStore(import_data(args.format, args.source, args.out, args.options))
    print(
        f"{store.root}: {store.num_episodes} episodes, {len(store.images)} frames, "
        f"cameras {', '.join(store.image_keys)}, actions {store.action_dim}-d"
    )
    return store.root


@dataclass(frozen=True)
class ExportArgs:
    """Convert an episode store into another format (nothing is left under --out if it fails).
    Formats: lerobot (LeRobotDataset v3); pass FORMAT --help for its options."""

    format: Annotated[str, Positional, arg(metavar="FORMAT")]
    """Format: lerobot."""
    store: Annotated[str, Positional, arg(metavar="STORE")]
    """Episode store to export."""
    out: str
    """New folder to write."""


@register_verb(
    "export", "write an episode store in another format (LeRobot v3, ...)", format_arguments("export")
)
def export(args: Any) -> Path:
    from dynarep.formats import export_data, get_exporter

    get_exporter(args.format)
    out = export_data(args.format, args.store, args.out, args.options)
    print(f"written {out}")
    return Path(out)
