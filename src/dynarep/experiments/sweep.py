"""``dynarep sweep SPEC.json``: a grid of benchmark runs that share their data and encoders.

A spec names a suite and a preset, optional ``set`` overrides of preset fields for every cell, and
a ``grid``: preset fields with lists of values. Every combination is a cell, a benchmark run in
``OUT/cells/NAME``. Cells whose data settings agree share one data folder (``OUT/data/KEY``), and
cells whose pretraining settings agree share one encoders folder (``OUT/encoders/KEY``), so every
encoder is pretrained once and finetuned by all its cells (a sweep over demos, finetuning steps or
seeds pretrains nothing twice). The launcher (``local``, ``submitit``) runs two stages of jobs:
first one job per distinct data folder, then one job per distinct encoders folder, which runs its
cells one after another. A failed cell is recorded (``status.json``: its error and log path) and
never stops the others; a finished cell is skipped when the sweep runs again.

    {"suite": "pointmass", "preset": "quick", "methods": ["inverse_dynamics", "fd_contrastive"],
     "grid": {"horizon": [1, 2, 5, 10]}, "launcher": "local", "launcher_options": {"parallel": 1}}
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from dynarep.data.store import atomic_write_json
from dynarep.evaluate.stats import summarize
from dynarep.experiments.plots import draw_success, new_figure, save_success_figure
from dynarep.experiments.presets import Preset
from dynarep.experiments.report import label, per_seed, read_probes
from dynarep.experiments.suites import get_preset, get_suite
from dynarep.files import read_json
from dynarep.launchers import make_launcher

DATA_FIELDS = ("image_size", "pretrain_episodes", "demos", "seeds", "probe_episodes")
"""Preset fields that decide the collected stores (with the suite)."""
ENCODER_FIELDS = (
    *DATA_FIELDS,
    "pretrain_steps",
    "pretrain_batch",
    "pretrain_lr",
    "horizon",
    "pretrain_shift",
    "encoder_options",
    "probe_mlp_steps",
)
"""Preset fields that decide a pretrained encoder and its probe results."""
SPEC_KEYS = ("suite", "preset", "set", "grid", "methods", "launcher", "launcher_options")


@dataclass(frozen=True)
class SweepSpec:
    suite: str
    preset: str = "quick"
    set: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    methods: tuple[str, ...] | None = None
    launcher: str = "local"
    launcher_options: dict[str, Any] = field(default_factory=dict)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a spec; every error names the key."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a sweep spec is a JSON object")
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; a spec takes {', '.join(SPEC_KEYS)}")
    if "suite" not in data:
        raise ValueError(f"{path}: 'suite' is missing")
    preset_fields = {f.name for f in fields(Preset)}
    for key in ("set", "grid"):
        bad = sorted(set(data.get(key, {})) - preset_fields)
        if bad:
            choices = ", ".join(sorted(preset_fields))
            raise ValueError(f"{path}: {key}: {', '.join(bad)} is not a preset field; fields: {choices}")
    for name, values in data.get("grid", {}).items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"{path}: grid.{name}: give a non-empty list of values")
    if data.get("methods") is not None:
        data["methods"] = tuple(data["methods"])
    spec = SweepSpec(**data)
    preset = get_preset(get_suite(spec.suite), spec.preset)  # unknown suite or preset: one line
    for cell in cells(spec):
        cell_preset(spec, cell, preset)  # bad values fail here, before anything runs
    make_launcher(spec.launcher, spec.launcher_options)  # and unknown launchers or options
    return spec


def cells(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in the grid's order."""
    names = list(spec.grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*spec.grid.values())]


def cell_name(cell: dict[str, Any]) -> str:
    """A folder name from the cell's values: ``horizon=2,finetune_options=dropout:0.3``."""

    def text(value: Any) -> str:
        if isinstance(value, dict):
            return "+".join(f"{k}:{text(v)}" for k, v in value.items()) or "none"
        if isinstance(value, list | tuple):
            return "-".join(text(v) for v in value)
        return str(value)

    name = ",".join(f"{k}={text(v)}" for k, v in cell.items()) or "base"
    return re.sub(r"[^A-Za-z0-9._=,:+-]", "_", name)


def cell_preset(spec: SweepSpec, cell: dict[str, Any], base: Preset | None = None) -> Preset:
    base = base or get_preset(get_suite(spec.suite), spec.preset)
    values = {**spec.set, **cell}
    if spec.methods is not None:
        values["methods"] = spec.methods
    return Preset.from_dict({**asdict(base), **values})


def key_of(spec: SweepSpec, preset: Preset, names: tuple[str, ...]) -> str:
    """A short stable name for the settings in ``names`` (folders of shared data or encoders)."""
    settings = {"suite": spec.suite, **{name: getattr(preset, name) for name in names}}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def link(folder: Path, name: str, target: Path) -> None:
    """``folder/name`` -> ``target``, relative so that the sweep folder can move."""
    target.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.is_symlink():
        path.symlink_to(os.path.relpath(target, folder), target_is_directory=True)


def run_cells(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Launcher job: run the job's cells one after another (they may share data and encoders);
    each cell's output goes to its ``log.txt`` and its outcome to ``status.json``."""
    from dynarep.experiments.benchmark import run

    outcomes = []
    for cell in job["cells"]:
        folder = Path(cell["folder"])
        status_path = folder / "status.json"
        previous = read_json(status_path) if status_path.exists() else {}
        if previous.get("state") == "done" and not job["data_only"]:
            outcomes.append(previous)
            continue
        log = folder / "log.txt"
        status: dict[str, Any] = {"cell": cell["values"], "log": str(log)}
        with log.open("a") as stream, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            try:
                preset = Preset.from_dict(cell["preset"])
                run(job["suite"], preset, folder, progress=False, data_only=job["data_only"])
                status["state"] = "data" if job["data_only"] else "done"
            except Exception as error:  # noqa: BLE001  (recorded; the sweep's other cells go on)
                traceback.print_exc()
                status.update(state="failed", error=f"{type(error).__name__}: {error}")
        if not job["data_only"] or status["state"] == "failed":
            atomic_write_json(status_path, status)
        outcomes.append(status)
    return outcomes


def sweep(spec_path: str | Path, out: str | Path) -> str:
    """Run (or resume) the sweep of ``spec_path`` in ``out``; return the summary table."""
    spec = load_spec(spec_path)
    launcher = make_launcher(spec.launcher, spec.launcher_options)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec_copy = out / "spec.json"
    stored = json.loads(json.dumps(asdict(spec)))  # as read back: tuples become lists
    if spec_copy.exists() and read_json(spec_copy) != stored:
        raise ValueError(f"{out}: holds a sweep of another spec ({spec_copy}); choose another folder")
    atomic_write_json(spec_copy, stored)
    planned = plan(spec, out)
    for cell in planned:
        folder = Path(cell["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        link(folder, "data", out / "data" / cell["data"])
        link(folder, "encoders", out / "encoders" / cell["encoders"])
    for data_only, key in ((True, "data"), (False, "encoders")):
        groups: dict[str, list[dict[str, Any]]] = {}
        for cell in planned:
            groups.setdefault(cell[key], []).append(cell)
        # collecting data once per data folder needs one cell of it; running needs all of them
        jobs = [
            {"suite": spec.suite, "data_only": data_only, "cells": group[:1] if data_only else group}
            for group in groups.values()
        ]
        outcomes = launcher.run(run_cells, jobs, out)
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, Exception):  # the job itself died (a killed or timed-out process)
                for cell in job["cells"]:
                    failed = {"cell": cell["values"], "state": "failed", "error": repr(outcome)}
                    atomic_write_json(Path(cell["folder"]) / "status.json", {**failed, "log": str(out)})
    return write_summary(out, planned, spec)


def plan(spec: SweepSpec, out: Path) -> list[dict[str, Any]]:
    """Every cell of the spec: its grid values, preset, folder and the keys of the data and
    encoders folders it shares."""
    base = get_preset(get_suite(spec.suite), spec.preset)
    planned = []
    for values in cells(spec):
        preset = cell_preset(spec, values, base)
        planned.append(
            {
                "values": values,
                "preset": asdict(preset),
                "folder": str(out / "cells" / cell_name(values)),
                "data": key_of(spec, preset, DATA_FIELDS),
                "encoders": key_of(spec, preset, ENCODER_FIELDS),
            }
        )
    return planned


def write_summary(out: Path, planned: list[dict[str, Any]], spec: SweepSpec) -> str:
    """``OUT/sweep.md`` (the table, failed cells, a plot per numeric axis) and ``OUT/sweep.html``
    (the same as one self-contained page, with the spec); returns the table."""
    from dynarep.experiments.report_html import write_html

    table = summary_table(out, planned, spec)
    plots = [(axis, plot_axis(out, planned, axis)) for axis in spec.grid]
    images = "".join(f"\n![success vs {axis}]({path.name})\n" for axis, path in plots if path is not None)
    summary = f"# Sweep: {spec.suite}, preset {spec.preset}\n\n{table}\n{images}"
    (out / "sweep.md").write_text(summary)
    write_html(out, summary, f"Sweep: {spec.suite}", page="sweep.html", configs=[out / "spec.json"])
    return table


def rebuild_summary(out: str | Path) -> Path:
    """Write a sweep folder's ``sweep.md`` and ``sweep.html`` again from what its cells hold
    (``dynarep report SWEEP``); nothing is run."""
    out = Path(out)
    spec = load_spec(out / "spec.json")
    write_summary(out, plan(spec, out), spec)
    return out / "sweep.html"


def plot_axis(out: Path, planned: list[dict[str, Any]], axis: str) -> Path | None:
    """``OUT/sweep_AXIS.png``: success vs a numeric grid axis (the n-step plot for ``horizon``,
    success vs pretraining size for ``pretrain_episodes``), one line per method, demo count and
    setting of the other axes, the 95% bootstrap CI over seeds as a band. None when the axis is
    not numeric, has one value, or no cell has finished."""
    values = sorted({cell["values"][axis] for cell in planned if _is_number(cell["values"][axis])})
    if len(values) < 2 or any(not _is_number(cell["values"][axis]) for cell in planned):
        return None
    lines: dict[str, dict[float, Any]] = {}
    for cell in planned:
        records = finished_records(cell)
        if records is None:
            continue
        others = ", ".join(f"{a}={json.dumps(v)}" for a, v in cell["values"].items() if a != axis)
        for (method, demos), seeds in per_seed(records, "success").items():
            name = f"{label(method)}, {demos} demos" + (f", {others}" if others else "")
            lines.setdefault(name, {})[cell["values"][axis]] = summarize(seeds)
    if not lines:
        return None
    fig, ax = new_figure(6.5)
    for name, points in sorted(lines.items()):
        xs = sorted(points)
        draw_success(ax, xs, [points[x] for x in xs], name)
    return save_success_figure(fig, ax, out / f"sweep_{axis}.png", values, axis, legend_size=7)


def cell_status(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell's ``status.json`` ({"state": "not run"} before it has one)."""
    path = Path(cell["folder"]) / "status.json"
    return read_json(path) if path.exists() else {"state": "not run"}


def finished_records(cell: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A finished cell's per-rollout records; None for a cell that has not finished."""
    if cell_status(cell)["state"] != "done":
        return None
    text = (Path(cell["folder"]) / "results.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def summary_table(out: Path, planned: list[dict[str, Any]], spec: SweepSpec) -> str:
    """Success (mean ± SE over seeds) per cell, method and demo count; failed cells with their
    error and log."""
    axes = list(spec.grid)
    lines = [
        "| " + " | ".join([*axes, "method", "demos", "success (mean ± SE)", "probe MLP, val (mm)"]) + " |",
        "|" + "---|" * (len(axes) + 4),
    ]
    failures = []
    for cell in planned:
        folder = Path(cell["folder"])
        records = finished_records(cell)
        if records is None:
            status = cell_status(cell)
            reason = status.get("error", status["state"])
            failures.append(f"- `{cell_name(cell['values'])}`: {reason} (log: {status.get('log', '-')})")
            continue
        success = per_seed(records, "success")
        preset = Preset.from_dict(cell["preset"])
        probes = read_probes(folder, preset)
        for method in preset.methods:
            probe = probes.get(method, {})
            mlp = [  # the state the encoder should hold, not the hidden goal (probed only for the record)
                v
                for k, v in probe.items()
                if k.startswith("probe/mlp/") and k.endswith("/val_mm") and "/goal/" not in k
            ]
            for n in preset.demos:
                s = summarize(success[(method, n)])
                values = [json.dumps(cell["values"][a]) for a in axes]
                probe_cell = f"{mlp[0]:.1f}" if mlp else "—"
                cells_ = [*values, label(method), str(n), f"{s.mean:.2f} ± {s.se:.2f}", probe_cell]
                lines.append("| " + " | ".join(cells_) + " |")
    if failures:
        lines += ["", f"{len(failures)} cell(s) failed:", *failures]
    return "\n".join(lines)
