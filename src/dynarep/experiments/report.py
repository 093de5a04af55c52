"""Tables, the success-vs-demos plot and the report of a benchmark run (Markdown and HTML).

``report.md`` is the one source; ``report.html`` is it rendered (``report_html.py``) with its
images inlined and the run's configurations and versions appended, so that the page is one
self-contained file to mail or archive. ``rebuild_report`` writes both again from what a run
folder holds (``dynarep report RUN``).
"""

from __future__ import annotations

import json
import platform
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from dynarep.data.store import atomic_write_bytes
from dynarep.evaluate.stats import (
    iqm,
    paired_difference,
    probability_of_improvement,
    stratified_bootstrap_ci,
    summarize,
)
from dynarep.experiments.plots import draw_success, new_figure, save_success_figure
from dynarep.experiments.report_html import write_html
from dynarep.experiments.videos import videos_section
from dynarep.files import read_json
from dynarep.train.schedule import peak_lr

LABELS = {
    "inverse_dynamics": "ID (inverse dynamics)",
    "bc": "BC (multitask, no context)",
    "fd_pixels": "FD-e (pixel forward dynamics)",
    "fd_contrastive": "FD-i (contrastive forward dynamics)",
    "simclr": "Cont (SimCLR crops)",
    "dynamo": "DynaMo (latent dynamics)",
    "scratch": "Scratch (pixels + aug)",
    "random": "Random frozen encoder",
    "state": "State oracle (position)",
}


def per_seed(
    records: list[dict[str, Any]], key: str, only_expert_solvable: bool = False
) -> dict[tuple[str, int], list[float]]:
    """(method, demos) -> the per-seed mean of ``key`` (seeds sorted)."""
    groups: dict[tuple[str, int, int], list[float]] = defaultdict(list)
    for r in records:
        if only_expert_solvable and not r["expert_success"]:
            continue
        groups[(r["method"], r["demos"], r["finetune_seed"])].append(float(r[key]))
    out: dict[tuple[str, int], list[float]] = defaultdict(list)
    for (method, demos, _seed), values in sorted(groups.items()):
        out[(method, demos)].append(float(np.mean(values)))
    return out


def label(method: str, suite: Any = None) -> str:
    if method == "state" and suite is not None:
        return suite.state_label
    return LABELS.get(method, method)


def results_table(
    records: list[dict[str, Any]],
    methods: tuple[str, ...],
    demos: tuple[int, ...],
    probes: dict[str, dict[str, float]] | None = None,
    suite: Any = None,
    probe_target: str = "position",
) -> str:
    """Markdown table: success mean ± SE [95% bootstrap CI] per method and demo count, and each
    frozen encoder's probe error (``probe_target``, the environment's headline state group, on
    validation episodes), next to the published success of ``suite``."""
    probes = probes or {}
    published_success = suite.published if suite is not None else {}
    target = probe_target
    success = per_seed(records, "success")
    solvable = per_seed(records, "success", only_expert_solvable=True)
    has_distance = all("min_distance" in r for r in records)
    distance = per_seed(records, "min_distance") if has_distance else {}
    lines = [
        "| method | demos | success (mean ± SE) | 95% CI | success, expert-solvable starts "
        f"| {'min distance (mm) | ' if has_distance else ''}probe: {target} error (mm), linear / MLP "
        "| published success |",
        "|---|---|---|---|---|" + ("---|" if has_distance else "") + "---|---|",
    ]
    for method in methods:
        probe = probes.get(method)
        probe_cell = (
            f"{probe[f'probe/linear/{target}/val_mm']:.1f} / {probe[f'probe/mlp/{target}/val_mm']:.1f}"
            if probe
            else "—"
        )
        for n in demos:
            s = summarize(success[(method, n)])
            e = summarize(solvable[(method, n)])
            distance_cell = f"{1000 * summarize(distance[(method, n)]).mean:.1f} | " if has_distance else ""
            published = published_success.get(method, {}).get(n)
            published_cell = f"{published:.2f}" if published is not None else "—"
            lines.append(
                f"| {label(method, suite)} | {n} | {s.mean:.2f} ± {s.se:.2f} | "
                f"[{s.ci_low:.2f}, {s.ci_high:.2f}] | {e.mean:.2f} ± {e.se:.2f} | {distance_cell}"
                f"{probe_cell} | {published_cell} |"
            )
    return "\n".join(lines)


def comparison_table(
    records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...], suite: Any = None
) -> str:
    """Compact Markdown matrix, one row per method: "ours (published)" success at each demo count."""
    published_success = suite.published if suite is not None else {}
    success = per_seed(records, "success")
    lines = ["| method | " + " | ".join(f"{n} demos" for n in demos) + " |", "|---|" + "---|" * len(demos)]
    for method in methods:
        cells = []
        for n in demos:
            published = published_success.get(method, {}).get(n)
            cells.append(
                f"{summarize(success[(method, n)]).mean:.2f}"
                + (f" ({published:.2f})" if published is not None else "")
            )
        lines.append(f"| {label(method, suite)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_table(
    records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...], suite: Any = None
) -> str:
    """Markdown table of the first method against each other one at each demo count: the success
    difference paired by finetuning seed (same goal, demos and starts) with its 95% bootstrap CI,
    and the probability of improvement with its stratified-bootstrap CI (rliable's estimators)."""
    success = per_seed(records, "success")
    reference = methods[0]
    lines = [
        f"| {label(reference, suite)} vs | demos | difference (mean ± SE) | 95% CI "
        "| P(improvement) | 95% CI |",
        "|---|---|---|---|---|---|",
    ]
    for other in methods[1:]:
        for n in demos:
            a, b = success[(reference, n)], success[(other, n)]
            if len(a) != len(b) or not a:
                continue
            d = paired_difference(a, b)
            x, y = np.array(a)[:, None], np.array(b)[:, None]
            low, high = stratified_bootstrap_ci(probability_of_improvement, x, y, resamples=2000)
            lines.append(
                f"| {label(other, suite)} | {n} | {d.mean:+.2f} ± {d.se:.2f} "
                f"| [{d.ci_low:+.2f}, {d.ci_high:+.2f}] | {probability_of_improvement(x, y):.2f} "
                f"| [{low:.2f}, {high:.2f}] |"
            )
    return "\n".join(lines)


def pretrain_seed_table(
    records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...], suite: Any = None
) -> str:
    """Markdown table of success per pretraining seed (each the mean over the finetuning seeds that
    used that seed's encoder): how much a method's row depends on which encoder it got."""
    groups: dict[tuple[str, int, int], list[float]] = defaultdict(list)
    for r in records:
        if "pretrain_seed" in r:
            groups[(r["method"], r["demos"], r["pretrain_seed"])].append(float(r["success"]))
    pretrain_seeds = sorted({k for _, _, k in groups})
    lines = [
        "| method | demos | " + " | ".join(f"pretraining seed {k}" for k in pretrain_seeds) + " |",
        "|---|---|" + "---|" * len(pretrain_seeds),
    ]
    for method in methods:
        for n in demos:
            if (method, n, pretrain_seeds[0]) in groups:
                cells = [f"{np.mean(groups[(method, n, k)]):.2f}" for k in pretrain_seeds]
                lines.append(f"| {label(method, suite)} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def iqm_table(
    records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...], suite: Any = None
) -> str:
    """For suites with several target tasks: per method and demo count, the interquartile mean of
    success over every (seed, task) with a stratified-bootstrap 95% CI (rliable's aggregate)."""
    scores: dict[tuple[str, int], dict[str, dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in records:
        scores[(r["method"], r["demos"])][r["target"]][r["finetune_seed"]].append(float(r["success"]))
    lines = ["| method | demos | tasks | IQM of success | 95% CI |", "|---|---|---|---|---|"]
    for method in methods:
        for n in demos:
            tasks = scores[(method, n)]
            seeds = sorted(set.intersection(*(set(t) for t in tasks.values()))) if tasks else []
            if not seeds:
                continue
            matrix = np.array([[np.mean(tasks[t][s]) for t in sorted(tasks)] for s in seeds])
            low, high = stratified_bootstrap_ci(iqm, matrix)
            lines.append(
                f"| {label(method, suite)} | {n} | {matrix.shape[1]} | {iqm(matrix):.2f} "
                f"| [{low:.2f}, {high:.2f}] |"
            )
    return "\n".join(lines)


def plot_success(
    records: list[dict[str, Any]],
    methods: tuple[str, ...],
    demos: tuple[int, ...],
    path: Path,
    title: str = "",
    suite: Any = None,
) -> None:
    """Success vs finetuning demos, one line per method with its 95% CI over seeds."""
    success = per_seed(records, "success")
    fig, ax = new_figure()
    for method in methods:
        draw_success(ax, demos, [summarize(success[(method, n)]) for n in demos], label(method, suite))
    ax.set_xscale("log") if len(demos) > 2 else None
    save_success_figure(fig, ax, path, demos, "finetuning demonstrations", title)


def write_report(
    out: Path,
    records: list[dict[str, Any]],
    preset: Any,
    suite: Any,
    probes: dict[str, dict[str, float]],
    wall_seconds: float,
    probe_target: str = "position",
) -> str:
    """Write table.md, success.png and report.md into ``out``; return the table."""
    table = results_table(records, preset.methods, preset.demos, probes, suite, probe_target)
    atomic_write_bytes(out / "table.md", (table + "\n").encode())
    plot_success(records, preset.methods, preset.demos, out / "success.png", suite.title, suite)
    expert = np.mean([r["expert_success"] for r in records]) if records else float("nan")
    wall = f"{wall_seconds / 60:.1f} min" if np.isfinite(wall_seconds) else "not recorded"
    steps = ", ".join(f"{method} {n}" for method, n in sorted(preset.pretrain_steps.items()))
    pretrain_seeds = f" ({preset.pretrain_seeds} pretraining seeds)" if preset.pretrain_seeds > 1 else ""
    iqm_section = ""
    if len({r.get("target") for r in records}) > 1:
        iqm_section = (
            "Aggregated over the target tasks: the interquartile mean of success over every "
            "(seed, task) pair, 95% CI by stratified bootstrap (seeds resampled within each task; "
            f"rliable's estimators):\n\n{iqm_table(records, preset.methods, preset.demos, suite)}\n\n"
        )
    seeds_section = ""
    if any("pretrain_seed" in r for r in records):
        n = preset.pretrain_seeds
        seeds_section = (
            f"Per pretraining seed ({n} encoders per objective; finetuning seed i uses encoder i mod {n},"
            " so each column also holds its own finetuning seeds' goals: a spread here mixes encoder"
            " and goal):"
            f"\n\n{pretrain_seed_table(records, preset.methods, preset.demos, suite)}\n\n"
        )
    report = f"""# Benchmark report: {suite.title}

Run folder: `{out}`. Wall time of this invocation: {wall} on
{platform.machine()} / Python {platform.python_version()}.

Preset: image {preset.image_size} px, {preset.pretrain_episodes} pretraining episodes (one hidden
context each), pretraining steps {steps} at batch {preset.pretrain_batch} and peak lr
{peak_lr(preset.pretrain_lr, preset.pretrain_batch):g}{pretrain_seeds}, ID horizon
{preset.horizon}, {preset.seeds} finetuning seeds (each its own finetuning set: task 1e6 + i),
{preset.eval_episodes} rollouts per seed, frozen-head steps {preset.finetune_steps}, scratch steps
{preset.scratch_steps}.

{suite.success_rule}
Mean ± standard error over seeds, 95% percentile-bootstrap CI over seeds. "Expert-solvable" keeps
only the starts from which the scripted expert itself succeeds (expert success on these
evaluation starts: {expert:.2f}). The probe column is the validation RMSE of linear and MLP
probes from the frozen encoder to the true {probe_target}, on {preset.probe_episodes} held-out episodes
(80/20 split by episode). "Published" is the paper's success at that many demos (protocol.md §4.3;
its image sizes and 100k+ pretraining steps).

{table}

Success, ours (published):

{comparison_table(records, preset.methods, preset.demos, suite)}

Paired by finetuning seed (every method sees the same hidden goal, demos and evaluation starts
per seed): the difference in success, and the probability that the first method beats the other
on a seed (Mann-Whitney, ties half; CI by stratified bootstrap over seeds).

{paired_table(records, preset.methods, preset.demos, suite) if len(preset.methods) > 1 else ""}

{seeds_section}{iqm_section}![success vs demos](success.png)

{videos_section(out, lambda method: label(method, suite))}
Per-episode results: `results.jsonl` (one line per rollout, with seeds).
"""
    atomic_write_bytes(out / "report.md", report.encode())
    write_html(out, report, suite.title)
    return table


def read_probes(out: Path, preset: Any) -> dict[str, dict[str, float]]:
    """method -> its probe errors (``encoders/*/probe.json``), averaged over the method's
    pretraining seeds (the table shows one figure per method)."""
    probes: dict[str, dict[str, float]] = {}
    for method in preset.methods:
        names = {preset.encoder_name(method, k) for k in range(preset.pretrain_seeds)} | {method}
        paths = [out / "encoders" / name / "probe.json" for name in sorted(names)]
        found = [read_json(path) for path in paths if path.exists()]
        if found:
            probes[method] = {key: float(np.mean([p[key] for p in found])) for key in found[0]}
    return probes


def rebuild_report(out: str | Path, suite_name: str | None = None) -> Path:
    """Write table.md, success.png, report.md and report.html again from a benchmark folder's
    ``preset.json``, ``results.jsonl``, probes and ``run.json`` (suite and wall time)."""
    from dynarep.envs import make_environment
    from dynarep.experiments.presets import Preset
    from dynarep.experiments.suites import get_suite

    out = Path(out)
    for needed in ("preset.json", "results.jsonl"):
        if not (out / needed).exists():
            raise FileNotFoundError(f"{out / needed}: missing; not a finished dynarep benchmark folder")
    run = read_json(out / "run.json") if (out / "run.json").exists() else {}
    suite_name = suite_name or run.get("suite")
    if not suite_name:
        raise ValueError(f"{out}: no run.json names the suite (runs made before it); pass --suite")
    suite = get_suite(suite_name)
    preset = Preset.from_dict(read_json(out / "preset.json"))
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    probes = read_probes(out, preset)
    probe_target = next(iter(make_environment(suite.pretrain_env(preset)).probe_targets))
    write_report(out, records, preset, suite, probes, run.get("wall_seconds", float("nan")), probe_target)
    return out / "report.html"
