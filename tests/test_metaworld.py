"""Metaworld on the environment seam: hidden goal, seeded configurations, expert, rollouts, errors."""

import importlib.util
import sys

import gymnasium as gym
import numpy as np
import pytest

from dynarep.config_checks import ConfigError
from dynarep.data.collect import CollectSpec, collect
from dynarep.data.store import EpisodeStore, StoreError
from dynarep.envs import ActionNoise, make_environment
from dynarep.envs.metaworld import MetaworldConfig, MetaworldEnv, load_metaworld
from dynarep.evaluate.rollout import run_rollouts

# find_spec, not importorskip: importing metaworld first would load MuJoCo before MUJOCO_GL is set
pytestmark = pytest.mark.skipif(importlib.util.find_spec("metaworld") is None, reason="needs metaworld")

SMALL = MetaworldConfig(image_size=32, max_steps=120)


def first_frame(config: MetaworldConfig, task_id: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    env = MetaworldEnv(config)
    obs, _ = env.reset(seed=seed, options={"task_id": task_id})
    context = env.context()
    env.close()
    return obs["pixels"], context


def test_goal_is_invisible_and_differs_only_where_the_marker_is():
    shown, _ = first_frame(MetaworldConfig(image_size=64, hide_goal=False), 3, 0)
    hidden, _ = first_frame(MetaworldConfig(image_size=64, hide_goal=True), 3, 0)
    rows, cols = np.nonzero(np.abs(shown.astype(int) - hidden.astype(int)).sum(axis=2))
    assert len(rows) > 0, "the goal marker should be visible when not hidden"
    assert np.ptp(rows) <= 4 and np.ptp(cols) <= 4  # one small blob: the marker, nothing else changed


def test_task_id_fixes_the_configuration_and_the_seed_jitters_the_hand():
    env = MetaworldEnv(SMALL)
    a, _ = env.reset(seed=0, options={"task_id": 5})
    goal_a = env.context()
    b, _ = env.reset(seed=0, options={"task_id": 5})
    assert np.array_equal(a["state"], b["state"]) and np.array_equal(goal_a, env.context())
    env.reset(seed=0, options={"task_id": 6})
    assert not np.allclose(goal_a, env.context())
    c, _ = env.reset(seed=1, options={"task_id": 5})
    hand_shift = np.abs(c["state"][:3] - a["state"][:3])
    assert np.allclose(c["state"][4:7], a["state"][4:7])  # the object stays where the task put it
    assert 0 < hand_shift.max() <= 2 * SMALL.hand_jitter + 0.01
    env.close()


def test_expert_episode_stops_on_success():
    [episode] = make_environment(SMALL).record_episodes([2], [0], ActionNoise())
    assert episode.successes[-1] and not episode.successes[:-1].any()
    assert len(episode.frames) == len(episode.actions) + 1 < SMALL.max_steps
    assert episode.frames.shape[1:] == (32, 32, 3) and episode.states.shape[1] == 39
    assert np.abs(episode.actions).max() <= 1.0


def test_success_only_collection_errors_when_the_expert_cannot_succeed(tmp_path):
    hopeless = MetaworldConfig(image_size=32, max_steps=3)
    spec = CollectSpec(episodes=1, success_only=True, max_retries=1)
    with pytest.raises(StoreError, match="--success-only: the expert failed"):
        collect(tmp_path / "s", hopeless, spec, workers=1, progress=False)
    assert not (tmp_path / "s").exists()  # nothing left to block the corrected command


def test_collected_store_records_environment_and_version(tmp_path):
    store = collect(
        tmp_path / "s", SMALL, CollectSpec(episodes=2, success_only=True), workers=1, progress=False
    )
    store = EpisodeStore(store.root)
    assert store.info["env"]["name"] == "metaworld" and store.info["env_version"] == "metaworld/1"
    assert store.info["env"]["tasks"] == ["pick-place-v3"]
    assert store.action_dim == 4 and store.contexts.shape == (2, 3)
    assert store.info["expert_success_rate"] == 1.0


def test_vector_rollouts_do_not_depend_on_the_number_of_workers():
    environment = make_environment(SMALL)
    _, policies = load_metaworld()
    expert = policies["pick-place-v3"]()

    def controller(obs):
        return np.stack([expert.get_action(s) for s in obs["state"]])

    seeds = [10, 11, 12]
    one = run_rollouts(environment, 4, seeds, controller, render=False, workers=1)
    two = run_rollouts(environment, 4, seeds, controller, render=False, workers=2)
    assert one == two
    assert all(r["success"] for r in one)
    assert list(environment.expert_successes(4, seeds)) == [True] * 3


def test_registered_as_gymnasium_environments():
    env = gym.make("dynarep/Metaworld-v0", config=SMALL)
    obs, _ = env.reset(seed=0)
    assert obs["pixels"].shape == (32, 32, 3) and obs["state"].shape == (39,)
    env.close()
    point_mass = gym.make("dynarep/PointMass-v0")
    assert point_mass.reset(seed=0)[0]["pixels"].dtype == np.uint8
    point_mass.close()


def test_unknown_task_name_suggests_the_v3_name():
    with pytest.raises(
        ConfigError, match="unknown Metaworld task 'pick-place-v2'; did you mean pick-place-v3"
    ):
        MetaworldConfig(tasks=("pick-place-v2",))


def test_metaworld_not_installed_is_one_line(monkeypatch, tmp_path, capsys):
    from dynarep.cli import main

    monkeypatch.setitem(sys.modules, "metaworld", None)  # import metaworld -> ImportError
    load_metaworld.cache_clear()
    try:
        code = main(["collect", "--env", "metaworld", "--out", str(tmp_path / "s"), "--episodes", "1"])
    finally:
        load_metaworld.cache_clear()
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "Metaworld is not installed" in err and "pip install 'metaworld==3.1.1'" in err
    assert not (tmp_path / "s").exists()  # refused before anything was written


def test_pick_place_benchmark_runs_on_the_seam(tmp_path):
    """The suite machinery end to end on Metaworld at toy sizes (short episodes, 32 px)."""
    from dynarep.experiments.benchmark import run
    from dynarep.experiments.presets import Preset
    from dynarep.experiments.suites import SUITES, Suite

    short = MetaworldConfig(image_size=32, max_steps=30)
    suite = Suite(
        title="toy pick-place",
        pretrain_env=lambda p: short,
        finetune_envs=lambda p: {"pick-place-v3": short},
        presets={},
        success_only=False,
        published=SUITES["metaworld-pick-place"].published,
        state_label="State oracle (hand, object)",
    )
    preset = Preset(
        image_size=32,
        pretrain_episodes=3,
        pretrain_steps={"inverse_dynamics": 2},
        pretrain_batch=8,
        demos=(2,),
        seeds=2,
        finetune_steps=3,
        eval_episodes=2,
        methods=("inverse_dynamics", "state"),
        probe_episodes=2,
        probe_mlp_steps=3,
    )
    table = run(suite, preset, tmp_path, progress=False)
    assert "probe: hand error (mm)" in table and "min distance" not in table
    assert "State oracle (hand, object)" in table and "| 0.83 |" not in table  # published is at 5 demos
    rows = [line for line in table.splitlines() if line.startswith("| ID")]
    assert len(rows) == 1 and rows[0].endswith("| 0.34 |")  # published ID success at 2 demos
    records = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(records) == 2 * 2 * 2 and "final_object_to_goal" in records[0]


def test_rerunning_a_finished_collection_returns_the_store(tmp_path):
    spec = CollectSpec(episodes=1, success_only=True)
    first = collect(tmp_path / "s", SMALL, spec, workers=1, progress=False)
    again = collect(tmp_path / "s", SMALL, spec, workers=1, progress=False)  # tuple fields round-trip JSON
    assert again.num_episodes == first.num_episodes == 1


def test_without_a_task_id_each_seed_draws_its_own_configuration():
    env = MetaworldEnv(SMALL, render=False)
    env.reset(seed=1)
    first = env.context()
    env.reset(seed=2)
    assert not np.allclose(first, env.context())
    env.reset(seed=1)
    assert np.allclose(first, env.context())
    env.close()


def test_renderers_beyond_the_kept_number_are_closed_and_frames_unchanged(monkeypatch):
    import dynarep.envs.metaworld as metaworld

    monkeypatch.setattr(metaworld, "RENDERERS_KEPT", 1)
    env = MetaworldEnv(MetaworldConfig(tasks=("pick-place-v3", "reach-v3"), image_size=32))
    firsts = {}
    for task_id in range(6):  # configurations draw both tasks
        obs, _ = env.reset(seed=task_id, options={"task_id": task_id})
        firsts.setdefault(env.task, (task_id, obs["pixels"]))
        assert list(env._renderers) == [env.task]
    assert len(firsts) == 2
    for task_id, pixels in firsts.values():  # drawn again by a new renderer: the same frame
        obs, _ = env.reset(seed=task_id, options={"task_id": task_id})
        assert np.array_equal(obs["pixels"], pixels)
    env.close()
