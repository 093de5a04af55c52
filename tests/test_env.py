import numpy as np
import pytest

from dynarep.config_checks import ConfigError
from dynarep.envs.experts import ActionNoise, pointmass_expert
from dynarep.envs.pointmass import (
    ARENA,
    PointMassBatch,
    PointMassConfig,
    PointMassEnv,
    goal_for_task,
    start_for_seed,
)
from dynarep.envs.rendering import box_downsample


def test_goal_is_fixed_by_task_and_inside_arena():
    assert np.array_equal(goal_for_task(3), goal_for_task(3))
    assert not np.array_equal(goal_for_task(3), goal_for_task(4))
    goals = np.stack([goal_for_task(i) for i in range(200)])
    assert np.abs(goals).max() <= ARENA


def test_full_control_caps_speed_at_gear_over_damping():
    sim = PointMassBatch(PointMassConfig(), 1)
    sim.reset(np.array([[-0.28, 0.0]]), np.zeros((1, 2)))
    for _ in range(40):  # 2 s, several time constants (m / b = 0.3 s)
        sim.step(np.array([[1.0, 0.0]]))
    assert sim.velocities()[0, 0] == pytest.approx(0.1, rel=0.05)  # force 0.1 N / damping 1


def test_joint_limits_hold():
    sim = PointMassBatch(PointMassConfig(), 1)
    sim.reset(np.array([[0.25, 0.25]]), np.zeros((1, 2)))
    for _ in range(100):
        sim.step(np.array([[1.0, 1.0]]))
    assert np.all(sim.positions() <= ARENA + 0.005)


def test_goal_is_never_drawn():
    config = PointMassConfig(image_size=32)
    sim = PointMassBatch(config, 2)
    start = np.array([[0.1, -0.1], [0.1, -0.1]])
    sim.reset(start, np.array([[0.2, 0.2], [-0.2, 0.0]]))
    frames = sim.render()
    sim.close()
    assert np.array_equal(frames[0], frames[1])


def test_mass_is_visible_and_moves_the_image():
    sim = PointMassBatch(PointMassConfig(image_size=32), 2)
    sim.reset(np.array([[0.1, 0.1], [-0.1, -0.1]]), np.zeros((2, 2)))
    frames = sim.render().astype(int)
    sim.close()
    assert np.abs(frames[0] - frames[1]).sum() > 100


def test_expert_reaches_a_near_goal_and_gym_env_reports_success():
    env = PointMassEnv(task_id=0, config=PointMassConfig(image_size=32, episode_steps=100))
    obs, info = env.reset(seed=1)
    assert obs["pixels"].shape == (32, 32, 3) and obs["pixels"].dtype == np.uint8
    env.sim.reset(obs["goal"][None] + 0.05, obs["goal"][None])  # start 7 cm from the goal
    truncated = False
    while not truncated:
        action = pointmass_expert(env.sim.positions()[0], env.sim.velocities()[0], env.sim.goals[0])
        obs, reward, terminated, truncated, info = env.step(action)
        assert not terminated
    env.close()
    assert info["success"] and info["distance"] < 0.015


def test_unsupported_image_size_is_rejected():
    with pytest.raises(ConfigError, match="--image-size 40"):
        PointMassConfig(image_size=40)


def test_start_positions_are_seeded():
    assert np.array_equal(start_for_seed(5), start_for_seed(5))


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_box_downsample_matches_the_float_mean_for_every_block_sum(factor: int) -> None:
    # blocks whose sums run through every value from 0 to 255 * factor**2, halves and ties included
    sums = np.arange(255 * factor * factor + 1)
    blocks = np.zeros((len(sums), factor * factor), dtype=np.int64)
    for k in range(factor * factor):
        blocks[:, k] = np.clip(sums - 255 * k, 0, 255)
    # one column of blocks: block n fills rows n*factor .. n*factor+factor-1, on all three channels
    image = np.repeat(blocks.reshape(len(sums) * factor, factor)[:, :, None], 3, axis=2).astype(np.uint8)
    reference = np.round(
        image.reshape(len(sums), factor, 1, factor, 3).astype(np.float32).mean(axis=(1, 3))
    ).astype(np.uint8)
    np.testing.assert_array_equal(box_downsample(image, factor), reference)
    np.testing.assert_array_equal(reference[:, 0, 0], np.round(sums.astype(np.float32) / factor**2))


def test_uncorrelated_noise_is_the_protocols_fresh_draw_each_step():
    process = ActionNoise(0.5).process(np.random.default_rng(7), (2,))
    reference = np.random.default_rng(7)
    for _ in range(5):
        assert np.array_equal(process.sample(), 0.5 * reference.standard_normal(2))
    assert ActionNoise(0.0, 0.9).process(np.random.default_rng(7), (2,)).sample() is None


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_correlated_noise_keeps_its_std_and_has_the_asked_correlation(rho: float):
    process = ActionNoise(2.0, rho).process(np.random.default_rng(0), (400,))  # 400 chains at once
    draws = np.stack([process.sample() for _ in range(200)])  # (steps, chains)
    assert abs(draws.std() - 2.0) < 0.05
    lag1 = np.mean(draws[1:] * draws[:-1]) / draws.var()
    assert abs(lag1 - rho) < 0.02
