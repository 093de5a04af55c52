"""Tables, the success-vs-demos plot and the Markdown report of a benchmark run."""

from __future__ import annotations

import platform
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from dynarep.data.store import atomic_write_bytes
from dynarep.evaluate.stats import summarize

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

# Point-mass success at 1/2/5/10 demos from the paper's finetuning-size sweep (protocol.md §4.3,
# digitised to about ±0.01; 84 px, 1000 pretraining episodes, 100k steps). DynaMo and the random
# encoder are not in the paper.
PUBLISHED_POINTMASS: dict[str, dict[int, float]] = {
    "inverse_dynamics": {1: 0.20, 2: 0.72, 5: 0.85, 10: 0.85},
    "bc": {1: 0.05, 2: 0.25, 5: 0.78, 10: 0.84},
    "fd_pixels": {1: 0.07, 2: 0.20, 5: 0.51, 10: 0.61},
    "fd_contrastive": {1: 0.05, 2: 0.48, 5: 0.80, 10: 0.85},
    "simclr": {1: 0.06, 2: 0.52, 5: 0.82, 10: 0.84},
    "scratch": {1: 0.04, 2: 0.24, 5: 0.76, 10: 0.78},
    "state": {1: 0.08, 2: 0.62, 5: 0.86, 10: 0.86},
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


def results_table(
    records: list[dict[str, Any]],
    methods: tuple[str, ...],
    demos: tuple[int, ...],
    probes: dict[str, dict[str, float]] | None = None,
) -> str:
    """Markdown table: success mean ± SE [95% bootstrap CI] per method and demo count, and each
    frozen encoder's probe error (position, validation episodes), next to the published success."""
    probes = probes or {}
    success = per_seed(records, "success")
    solvable = per_seed(records, "success", only_expert_solvable=True)
    distance = per_seed(records, "min_distance")
    lines = [
        "| method | demos | success (mean ± SE) | 95% CI | success, expert-solvable starts "
        "| min distance (mm) | probe: position error (mm), linear / MLP | published success |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method in methods:
        probe = probes.get(method)
        probe_cell = (
            f"{probe['probe/linear/position/val_mm']:.1f} / {probe['probe/mlp/position/val_mm']:.1f}"
            if probe
            else "—"
        )
        for n in demos:
            s = summarize(success[(method, n)])
            e = summarize(solvable[(method, n)])
            d = summarize(distance[(method, n)])
            published = PUBLISHED_POINTMASS.get(method, {}).get(n)
            published_cell = f"{published:.2f}" if published is not None else "—"
            lines.append(
                f"| {LABELS.get(method, method)} | {n} | {s.mean:.2f} ± {s.se:.2f} | "
                f"[{s.ci_low:.2f}, {s.ci_high:.2f}] | {e.mean:.2f} ± {e.se:.2f} | {1000 * d.mean:.1f} "
                f"| {probe_cell} | {published_cell} |"
            )
    return "\n".join(lines)


def comparison_table(records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...]) -> str:
    """Compact Markdown matrix, one row per method: "ours (published)" success at each demo count."""
    success = per_seed(records, "success")
    lines = ["| method | " + " | ".join(f"{n} demos" for n in demos) + " |", "|---|" + "---|" * len(demos)]
    for method in methods:
        cells = []
        for n in demos:
            published = PUBLISHED_POINTMASS.get(method, {}).get(n)
            cells.append(
                f"{summarize(success[(method, n)]).mean:.2f}"
                + (f" ({published:.2f})" if published is not None else "")
            )
        lines.append(f"| {LABELS.get(method, method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_success(
    records: list[dict[str, Any]], methods: tuple[str, ...], demos: tuple[int, ...], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    success = per_seed(records, "success")
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods:
        stats = [summarize(success[(method, n)]) for n in demos]
        ax.errorbar(
            demos,
            [s.mean for s in stats],
            yerr=[np.nan_to_num(s.se) for s in stats],
            marker="o",
            capsize=3,
            label=LABELS.get(method, method),
        )
    ax.set_xscale("log") if len(demos) > 2 else None
    ax.set_xticks(demos, [str(n) for n in demos])
    ax.set_xlabel("finetuning demonstrations")
    ax.set_ylabel("success rate")
    ax.set_ylim(0, 1)
    ax.set_title("Point mass, hidden goal: frozen encoder + BC head")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(
    out: Path,
    records: list[dict[str, Any]],
    preset: Any,
    probes: dict[str, dict[str, float]],
    wall_seconds: float,
) -> str:
    """Write table.md, success.png and report.md into ``out``; return the table."""
    table = results_table(records, preset.methods, preset.demos, probes)
    atomic_write_bytes(out / "table.md", (table + "\n").encode())
    plot_success(records, preset.methods, preset.demos, out / "success.png")
    expert = np.mean([r["expert_success"] for r in records]) if records else float("nan")
    report = f"""# Point-mass benchmark report

Run folder: `{out}`. Wall time of this invocation: {wall_seconds / 60:.1f} min on
{platform.machine()} / Python {platform.python_version()}.

Preset: image {preset.image_size} px, {preset.pretrain_episodes} pretraining episodes (one hidden
goal each), pretraining steps {preset.pretrain_steps} at batch {preset.pretrain_batch}, ID horizon
{preset.horizon}, {preset.seeds} finetuning seeds (each its own hidden goal: task 1e6 + i),
{preset.eval_episodes} rollouts per seed, frozen-head steps {preset.finetune_steps}, scratch steps
{preset.scratch_steps}.

Success = the mass came within 1.5 cm of the hidden goal at any step of the 100-step episode.
Mean ± standard error over seeds, 95% percentile-bootstrap CI over seeds. "Expert-solvable" keeps
only the starts from which the scripted expert itself succeeds (expert success on these
evaluation starts: {expert:.2f}). The probe column is the validation RMSE of linear and MLP
probes from the frozen encoder to the mass position, on {preset.probe_episodes} held-out episodes
(80/20 split by episode; predicting the mean position scores about 200 mm). "Published" is the
paper's point-mass success at that many demos (84 px, 100k pretraining steps; protocol.md §4.3).

{table}

Success, ours (published):

{comparison_table(records, preset.methods, preset.demos)}

![success vs demos](success.png)

Per-episode results: `results.jsonl` (one line per rollout, with seeds).
"""
    atomic_write_bytes(out / "report.md", report.encode())
    return table
