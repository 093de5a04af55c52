"""Statistics over finetuning seeds and tasks.

Per cell: mean, standard error and a percentile-bootstrap CI over seeds. Between two methods: the
difference paired by seed, and rliable's probability of improvement. Across tasks or
environments: rliable's interquartile mean with stratified-bootstrap CIs. rliable itself is not a
dependency (its arch dependency fails to import under pandas 3), so its estimators are written out
here and checked against values rliable 1.2.0 computed (tests/test_stats.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    mean: float
    se: float
    ci_low: float
    ci_high: float
    n: int


def summarize(per_seed: list[float] | np.ndarray, resamples: int = 10_000, seed: int = 0) -> Summary:
    """Mean over seeds, its standard error (sample std / sqrt n) and a 95% bootstrap CI of the mean."""
    values = np.asarray(per_seed, dtype=np.float64)
    n = len(values)
    if n == 0:
        return Summary(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    means = np.random.default_rng(seed).choice(values, size=(resamples, n), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Summary(float(values.mean()), se, float(low), float(high), n)


def paired_difference(a: list[float] | np.ndarray, b: list[float] | np.ndarray, seed: int = 0) -> Summary:
    """``a - b`` paired by finetuning seed (same hidden goal, demos and evaluation starts): mean,
    SE and a 95% bootstrap CI over seeds. Pairing removes the seed-to-seed spread that two
    independent CIs would both carry."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired scores need one value per seed on both sides; got {a.shape} and {b.shape}")
    return summarize(a - b, seed=seed)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over every run and task (rliable's ``aggregate_iqm``): the mean of the
    middle half after dropping ``floor(n / 4)`` values from each end of the sorted scores."""
    values = np.sort(np.asarray(scores, np.float64), axis=None)
    cut = int(0.25 * len(values))
    return float(values[cut : len(values) - cut].mean())


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) averaged over tasks (rliable's estimator): per task, the Mann-Whitney U statistic of
    X's runs against Y's, ties counted half, divided by the number of pairs. ``x``: (runs_x, tasks),
    ``y``: (runs_y, tasks); runs need not be paired."""
    x, y = np.atleast_2d(np.asarray(x, np.float64)), np.atleast_2d(np.asarray(y, np.float64))
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"both need the same tasks (columns); got {x.shape[1]} and {y.shape[1]}")
    per_task = [
        float(np.mean(x[:, None, t] > y[None, :, t]) + 0.5 * np.mean(x[:, None, t] == y[None, :, t]))
        for t in range(x.shape[1])
    ]
    return float(np.mean(per_task))


def stratified_bootstrap_ci(
    estimator: Callable[..., float],
    *scores: np.ndarray,
    resamples: int = 2000,
    seed: int = 0,
    size: float = 0.95,
) -> tuple[float, float]:
    """Percentile CI of ``estimator(*scores)`` under rliable's stratified bootstrap: every score
    matrix (runs, tasks) is resampled with replacement over runs, separately within each task
    and separately per matrix, so that each task keeps its number of runs."""
    rng = np.random.default_rng(seed)
    matrices = [np.atleast_2d(np.asarray(s, np.float64)) for s in scores]
    estimates = np.empty(resamples)
    for r in range(resamples):
        drawn = []
        for m in matrices:
            rows = rng.integers(0, m.shape[0], size=m.shape)
            drawn.append(np.take_along_axis(m, rows, axis=0))
        estimates[r] = estimator(*drawn)
    tail = 100 * (1 - size) / 2
    low, high = np.percentile(estimates, [tail, 100 - tail])
    return float(low), float(high)
