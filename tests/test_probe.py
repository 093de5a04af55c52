import numpy as np
import pytest

from dynarep.evaluate.probe import ProbeConfig, linear_probe, mlp_probe, probe
from dynarep.train.pretrain import PretrainConfig, pretrain


def synthetic(n=400, informative=True, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.uniform(-0.29, 0.29, (n, 2))
    x = (
        np.hstack([y @ rng.standard_normal((2, 8)), rng.standard_normal((n, 8))])
        if informative
        else rng.standard_normal((n, 16))
    )
    return x, y


def test_linear_probe_decodes_linear_features_and_not_noise():
    x, y = synthetic()
    fit, val = linear_probe(x[:300], y[:300], x[300:], y[300:], ridge=1e-6)
    assert val < 1e-3
    x, y = synthetic(informative=False)
    _, val = linear_probe(x[:300], y[:300], x[300:], y[300:], ridge=1e-6)
    assert val > 0.8 * np.sqrt(np.mean(np.sum((y - y.mean(0)) ** 2, axis=1)))


def test_mlp_probe_learns_a_nonlinear_map():
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.29, 0.29, (600, 2))
    x = np.tanh(5 * y @ rng.standard_normal((2, 16)))
    _, mlp_val = mlp_probe(x[:500], y[:500], x[500:], y[500:], ProbeConfig(mlp_steps=800))
    chance = np.sqrt(np.mean(np.sum((y[500:] - y[:500].mean(0)) ** 2, axis=1)))
    assert mlp_val < 0.02 < 0.1 * chance


def test_probe_reports_train_and_validation_errors(tiny_store, tmp_path):
    encoder = pretrain(
        tiny_store, tmp_path, "inverse_dynamics", config=PretrainConfig(steps=2, batch_size=8), progress=False
    )
    results = probe(encoder, tiny_store, ProbeConfig(mlp_steps=20))
    assert set(results) == {
        f"probe/{kind}/{target}/{split}_mm"
        for kind in ("linear", "mlp")
        for target in ("position", "goal")
        for split in ("train", "val")
    }
    assert all(np.isfinite(v) and v >= 0 for v in results.values())


def test_probe_rejects_a_store_of_another_image_size(tiny_store, tmp_path):
    from dynarep.data.collect import CollectSpec, collect
    from dynarep.envs.pointmass import PointMassConfig

    other = collect(
        tmp_path / "s48",
        PointMassConfig(image_size=48, episode_steps=3),
        CollectSpec(episodes=2),
        workers=1,
        progress=False,
    )
    encoder = pretrain(
        tiny_store, tmp_path / "e", "bc", config=PretrainConfig(steps=1, batch_size=4), progress=False
    )
    with pytest.raises(ValueError, match="takes 32 px frames"):
        probe(encoder, other.root)
