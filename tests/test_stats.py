import numpy as np
import pytest

from dynarep.evaluate.stats import summarize


def test_summary_of_known_values():
    s = summarize([0.2, 0.4, 0.6, 0.8, 1.0])
    assert s.mean == pytest.approx(0.6)
    assert s.se == pytest.approx(np.std([0.2, 0.4, 0.6, 0.8, 1.0], ddof=1) / np.sqrt(5))
    assert s.ci_low < s.mean < s.ci_high and 0.2 <= s.ci_low and s.ci_high <= 1.0


def test_constant_values_have_zero_width():
    s = summarize([0.5] * 4)
    assert (s.se, s.ci_low, s.ci_high) == (0.0, 0.5, 0.5)
