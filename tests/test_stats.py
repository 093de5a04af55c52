import numpy as np
import pytest

from dynarep.evaluate.stats import (
    iqm,
    paired_difference,
    probability_of_improvement,
    stratified_bootstrap_ci,
    summarize,
)


def test_summary_of_known_values():
    s = summarize([0.2, 0.4, 0.6, 0.8, 1.0])
    assert s.mean == pytest.approx(0.6)
    assert s.se == pytest.approx(np.std([0.2, 0.4, 0.6, 0.8, 1.0], ddof=1) / np.sqrt(5))
    assert s.ci_low < s.mean < s.ci_high and 0.2 <= s.ci_low and s.ci_high <= 1.0


def test_constant_values_have_zero_width():
    s = summarize([0.5] * 4)
    assert (s.se, s.ci_low, s.ci_high) == (0.0, 0.5, 0.5)


# Scores of 5 (x, y) and 7 (z) runs on 3 tasks; the reference values below were computed with
# rliable 1.2.0 (metrics.aggregate_iqm, metrics.probability_of_improvement, and
# library.get_interval_estimates with 50,000 stratified-bootstrap resamples).
X = [[0.34, 0.76, 0.56], [0.74, 0.88, 0.62], [0.6, 0.34, 0.46], [0.6, 0.7, 0.78], [0.52, 0.34, 0.48]]
Y = [[0.64, 0.22, 0.38], [0.66, 0.12, 0.46], [0.68, 0.24, 0.42], [0.64, 0.18, 0.42], [0.56, 0.5, 0.38]]
Z = [
    [0.22, 0.4, 0.32],
    [0.38, 0.32, 0.6],
    [0.56, 0.28, 0.44],
    [0.26, 0.38, 0.32],
    [0.5, 0.32, 0.38],
    [0.54, 0.34, 0.64],
    [0.2, 0.54, 0.36],
]


def test_iqm_and_probability_of_improvement_match_rliable():
    assert iqm(np.array(X)) == pytest.approx(0.5866666666666666, abs=1e-12)
    assert iqm(np.array(Z)) == pytest.approx(0.37636363636363634, abs=1e-12)
    assert probability_of_improvement(np.array(X), np.array(Y)) == pytest.approx(0.72666666666666667)
    # unequal numbers of runs
    assert probability_of_improvement(np.array(Y), np.array(Z)) == pytest.approx(0.5761904761904763)
    assert probability_of_improvement(np.array(X), np.array(X)) == 0.5


def test_stratified_bootstrap_cis_match_rliable():
    low, high = stratified_bootstrap_ci(iqm, np.array(X), resamples=4000)
    assert low == pytest.approx(0.4733, abs=0.015) and high == pytest.approx(0.6778, abs=0.015)
    low, high = stratified_bootstrap_ci(probability_of_improvement, np.array(X), np.array(Y), resamples=4000)
    assert low == pytest.approx(0.6, abs=0.015) and high == pytest.approx(0.8667, abs=0.015)


def test_paired_difference_uses_the_pairing():
    a = [0.60, 0.70, 0.40, 0.80, 0.50]
    b = [0.50, 0.62, 0.30, 0.71, 0.41]  # every seed lower by about 0.09, the seeds themselves spread widely
    d = paired_difference(a, b)
    assert d.mean == pytest.approx(0.092)
    assert 0.08 <= d.ci_low and d.ci_high <= 0.1  # excludes 0, where independent CIs overlap
    assert summarize(a).ci_low < summarize(b).ci_high
    with pytest.raises(ValueError, match="one value per seed"):
        paired_difference(a, b[:4])


def test_iqm_table_aggregates_seeds_and_tasks():
    from dynarep.experiments.report import iqm_table

    rng = np.random.default_rng(0)
    records, matrix = [], np.zeros((4, 3))
    for seed in range(4):
        for t, target in enumerate(["door-lock-v3", "drawer-open-v3", "button-press-v3"]):
            successes = rng.random(10) < 0.2 + 0.2 * t
            matrix[seed, t] = successes.mean()
            records += [
                {
                    "method": "inverse_dynamics",
                    "demos": 5,
                    "target": target,
                    "finetune_seed": seed,
                    "success": bool(x),
                }
                for x in successes
            ]
    row = iqm_table(records, ("inverse_dynamics",), (5,)).splitlines()[2].split("|")
    assert row[3].strip() == "3" and float(row[4]) == pytest.approx(iqm(matrix), abs=0.005)
    low, high = (float(x) for x in row[5].strip(" []").split(","))
    assert low <= iqm(matrix) <= high
