"""The data-format seam: importers bring outside data into an episode store, exporters take it out.

A format is one module that registers a config dataclass (its documented fields become flags of
``dynarep import NAME`` / ``dynarep export NAME``) and an ``Importer`` or ``Exporter`` subclass,
exactly as objectives and environments do. Nothing outside ``formats/`` names a particular format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from dynarep.data.store_writer import check_new_store
from dynarep.registry import Registry


class Importer:
    """Reads ``source`` and writes a new episode store at ``out``; the config is its only argument."""

    registry_name: ClassVar[str]
    source_help: ClassVar[str] = "what to import"

    def __init__(self, config: Any) -> None:
        self.config = config

    def run(self, source: Path, out: Path, progress: bool = True) -> Path:
        raise NotImplementedError

    def check_options(self, out: Path) -> None:
        """Before any work: ``out`` must be new (the config checked its own ranges when built)."""
        check_new_store(out)


class Exporter:
    """Writes the store at ``store`` in another format at ``out``."""

    registry_name: ClassVar[str]

    def __init__(self, config: Any) -> None:
        self.config = config

    def run(self, store: Path, out: Path, progress: bool = True) -> Path:
        raise NotImplementedError


IMPORTERS: Registry[type[Importer]] = Registry("import format")
EXPORTERS: Registry[type[Exporter]] = Registry("export format")
register_importer = IMPORTERS.register
register_exporter = EXPORTERS.register
get_importer = IMPORTERS.get
get_exporter = EXPORTERS.get
importer_names = IMPORTERS.names
exporter_names = EXPORTERS.names


def import_data(
    name: str, source: str | Path, out: str | Path, config: Any = None, progress: bool = True
) -> Path:
    """Import ``source`` with the registered importer ``name`` (default config unless given)."""
    config_class, importer = get_importer(name)
    return importer(config if config is not None else config_class()).run(Path(source), Path(out), progress)


def export_data(
    name: str, store: str | Path, out: str | Path, config: Any = None, progress: bool = True
) -> Path:
    """Export the store at ``store`` with the registered exporter ``name``."""
    config_class, exporter = get_exporter(name)
    return exporter(config if config is not None else config_class()).run(Path(store), Path(out), progress)
