"""Summary statistics over finetuning seeds: mean, standard error, percentile-bootstrap CI."""

from __future__ import annotations

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
