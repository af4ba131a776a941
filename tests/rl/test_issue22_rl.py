"""Evaluation episodes end, rl.make falls back to the built-in environments, independent seeded streams."""
import numpy as np
import pytest

from fastnn.rl import DQN, QLearning, CliffWalking, make
from fastnn.rl._checks import DEFAULT_MAX_STEPS, step_cap
from fastnn.rl.spaces import Box, Discrete


class StepLimitGuard(CliffWalking):
    """CliffWalking that fails the test (instead of hanging it) if an episode passes 20000 steps."""

    def step(self, action):
        self.steps_this_episode = getattr(self, "steps_this_episode", 0) + 1
        assert self.steps_this_episode <= 20_000, "the evaluation episode never ended"
        return super().step(action)

    def reset(self, seed=None, options=None):
        self.steps_this_episode = 0
        return super().reset(seed=seed, options=options)


class Endless:
    """A one-state environment that never terminates and has no time limit; reward 1 per step."""

    def __init__(self):
        self.observation_space = Box(np.zeros(2), np.ones(2))
        self.action_space = Discrete(2)
        self.steps = 0

    def reset(self, seed=None, options=None):
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.steps += 1
        assert self.steps <= 20_000, "the evaluation episode never ended"
        return np.zeros(2, np.float32), 1.0, False, False, {}


def test_tabular_greedy_policy_into_a_wall_is_capped():
    agent = QLearning(48, 4, epsilon=0.0, seed=0)
    agent.q[:, 0] = 1.0  # always "up": from the start it reaches the top row and pushes into the wall forever
    env = StepLimitGuard()
    assert agent.evaluate(env, episodes=2) == -DEFAULT_MAX_STEPS  # -1 per step until the default cap
    assert agent.evaluate(env, episodes=1, max_steps=50) == -50
    with pytest.raises(ValueError, match="max_steps"):
        agent.evaluate(env, episodes=1, max_steps=0)


def test_dqn_greedy_evaluation_is_capped():
    agent = DQN(2, 2, hidden=(4,), seed=0)
    assert agent.evaluate(Endless(), episodes=1) == DEFAULT_MAX_STEPS
    assert agent.evaluate(Endless(), episodes=2, max_steps=7) == 7
    assert agent.run_episode(Endless(), learn=False, max_steps=3) == 3


def test_step_cap_follows_the_environment_time_limit():
    assert step_cap(CliffWalking(), None) == DEFAULT_MAX_STEPS  # no time limit of its own
    assert step_cap(make("CartPole-v1", prefer_gymnasium=False), None) == 500
    assert step_cap(CliffWalking(), 12) == 12
    gym = pytest.importorskip("gymnasium")
    assert step_cap(gym.make("CartPole-v1"), None) == 500
    assert step_cap(gym.make("CliffWalking-v1"), None) == DEFAULT_MAX_STEPS


def test_make_falls_back_when_gymnasium_lacks_the_id(monkeypatch):
    gym = pytest.importorskip("gymnasium")
    monkeypatch.delitem(gym.registry, "CliffWalking-v1")  # as in Gymnasium releases before CliffWalking-v1
    assert isinstance(make("CliffWalking-v1"), CliffWalking)
    with pytest.raises(gym.error.Error):  # an id neither knows is still Gymnasium's error
        make("NoSuchEnv-v0")
    assert not isinstance(make("FrozenLake-v1"), CliffWalking)  # ids Gymnasium has still come from it


def test_agent_and_replay_streams_are_independent_and_reproducible():
    a, b = DQN(2, 2, hidden=(4,), seed=3), DQN(2, 2, hidden=(4,), seed=3)
    explore, replay = a.rng.random(8), a.memory.rng.random(8)
    assert not np.allclose(explore, replay)
    np.testing.assert_array_equal(explore, b.rng.random(8))  # still a function of the seed
    np.testing.assert_array_equal(replay, b.memory.rng.random(8))
