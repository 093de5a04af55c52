"""The paper's theory setting, at test size: ID recovers the state subspace, multitask BC does not."""

import numpy as np
import pytest

from dynarep.envs.linear_context import LinearContextConfig, LinearContextEnv
from dynarep.experiments.theory import TheoryConfig, principal_angles, run, table


@pytest.fixture(scope="module")
def results():
    return run(TheoryConfig(steps=1000, demos=(2, 5), new_contexts=8))


def test_inverse_dynamics_recovers_the_state_subspace(results):
    angles = results["methods"]["inverse_dynamics"]["angles"]
    assert max(angles[:3]) < 10 and angles[3] < 35


def test_multitask_bc_recovers_only_the_context_averaged_direction(results):
    angles = results["methods"]["bc"]["angles"]
    id_angles = results["methods"]["inverse_dynamics"]["angles"]
    assert angles[0] < 30  # the mean gain's direction is kept
    assert angles[-1] > 60  # some of the state is lost altogether
    assert np.mean(angles) > 2 * np.mean(id_angles)


def test_few_shot_bc_on_id_beats_bc_on_bc(results):
    id_errors, bc_errors = (
        results["methods"]["inverse_dynamics"]["few_shot"],
        results["methods"]["bc"]["few_shot"],
    )
    for n in (2, 5):
        assert id_errors[n] < 0.5 * bc_errors[n]


def test_table_lists_every_encoder(results):
    text = table(results)
    for label in ("ID", "multitask BC", "random", "true state", "raw observation"):
        assert label in text


def test_principal_angles_of_known_subspaces():
    basis = np.eye(5)[:, :2]
    assert np.allclose(principal_angles(basis.T, basis), [0, 0], atol=1e-6)
    assert np.allclose(principal_angles(np.eye(5)[2:4], basis), [90, 90])


def test_environment_is_stable_and_the_mean_gain_is_rank_one():
    env = LinearContextEnv(LinearContextConfig())
    assert np.linalg.matrix_rank(env.mean_gain) == 1
    for gain in env.gains:
        assert np.abs(np.linalg.eigvals(env.A + env.B @ gain)).max() < 0.95
    data = env.rollout(env.gains[0], 3, np.random.default_rng(0))
    assert data["obs"].shape == (3, 21, 32) and np.isfinite(data["obs"]).all()
