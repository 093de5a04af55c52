"""Success plots with their 95% bootstrap CI over seeds: vs finetuning demos (a benchmark) and
vs a numeric grid axis (a sweep). One way to draw a line and its interval, one way to finish a
figure, so the report's and the sweep's plots read alike."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dynarep.evaluate.stats import Summary

SUCCESS_LABEL = "success rate (band: 95% CI over seeds)"


def new_figure(width: float = 6.0) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, 4))


def draw_success(ax: Any, xs: Sequence[float], stats: Sequence[Summary], name: str) -> None:
    """Mean success at ``xs`` as a line, its 95% CI as a band (error bars for a single point,
    where a band has no width)."""
    low, high = [np.nan_to_num(s.ci_low) for s in stats], [np.nan_to_num(s.ci_high) for s in stats]
    mean = [s.mean for s in stats]
    (line,) = ax.plot(xs, mean, marker="o", label=name)
    if len(xs) > 1:
        ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
    else:
        yerr = np.abs(np.array([low, high]) - np.array(mean))
        ax.errorbar(xs, mean, yerr=yerr, color=line.get_color(), capsize=3, linestyle="none")


def save_success_figure(
    fig: Any, ax: Any, path: Path, ticks: Sequence[Any], xlabel: str, title: str = "", legend_size: int = 8
) -> Path:
    """Label, scale (0-1) and write the figure to ``path``."""
    import matplotlib.pyplot as plt

    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(SUCCESS_LABEL)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
