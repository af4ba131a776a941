"""DQN: epsilon schedule, target updates, the learning step, a short seeded run that improves, checkpoints."""
import math

import numpy as np
import pytest

from fastnn.rl import DQN, CartPole, epsilon_by_step
from fastnn.rl.spaces import Box, Discrete


class Corridor:
    """Walk right along 6 cells to the goal: reward 1 there, -0.05 per other step, 30 steps at most."""
    length = 6

    def __init__(self):
        self.observation_space = Box(np.zeros(self.length), np.ones(self.length))
        self.action_space = Discrete(2)

    def _obs(self):
        return np.eye(self.length, dtype=np.float32)[self.pos]

    def reset(self, seed=None, options=None):
        self.pos, self.t = 0, 0
        return self._obs(), {}

    def step(self, action):
        self.pos = max(self.pos + (1 if action == 1 else -1), 0)
        self.t += 1
        goal = self.pos == self.length - 1
        return self._obs(), 1.0 if goal else -0.05, goal, self.t >= 30 and not goal, {}


def small_agent(**kwargs):
    options = dict(hidden=(32,), lr=5e-3, batch_size=32, buffer_capacity=2000, eps_decay=300, seed=0)
    options.update(kwargs)
    return DQN(Corridor.length, 2, **options)


def test_epsilon_schedule_decays_from_start_to_end():
    assert epsilon_by_step(0) == pytest.approx(0.9)
    assert epsilon_by_step(2500) == pytest.approx(0.01 + 0.89 / math.e)
    assert epsilon_by_step(10 ** 6) == pytest.approx(0.01)
    agent = small_agent(eps_start=1.0, eps_end=0.1, eps_decay=10)
    agent.act(np.zeros(6, np.float32))
    agent.act(np.zeros(6, np.float32), greedy=True)  # greedy actions do not advance the schedule
    assert agent.steps_done == 1 and agent.epsilon == pytest.approx(0.1 + 0.9 * math.exp(-0.1))


def test_hard_sync_and_soft_update():
    agent = small_agent(tau=0.25)
    online = [p.detach().numpy().copy() for p in agent.policy_net.parameters()]
    for t in agent.target_net.parameters():
        t.detach().numpy()[...] = 0.0
    agent.soft_update()
    for t, p in zip(agent.target_net.parameters(), online):
        np.testing.assert_allclose(t.detach().numpy(), 0.25 * p, rtol=1e-6)
    agent.sync_target()
    for t, p in zip(agent.target_net.parameters(), online):
        np.testing.assert_array_equal(t.detach().numpy(), p)


def test_hard_target_update_every_n_learning_steps():
    agent = small_agent(target_update=3)
    env = Corridor()
    obs, _ = env.reset()
    for _ in range(40):
        agent.remember(obs, 1, 0.5, obs, False)
    before = [t.detach().numpy().copy() for t in agent.target_net.parameters()]
    agent.learn()
    agent.learn()
    assert all(np.array_equal(b, t.detach().numpy()) for b, t in zip(before, agent.target_net.parameters()))
    agent.learn()
    for t, p in zip(agent.target_net.parameters(), agent.policy_net.parameters()):
        np.testing.assert_array_equal(t.detach().numpy(), p.detach().numpy())


@pytest.mark.parametrize("double", [False, True])
def test_learning_step_fits_a_one_step_target(double):
    # every stored transition is terminal with reward 1: Q(s, a) must approach 1 for the stored action
    agent = small_agent(double=double, gamma=0.9)
    obs = np.eye(6, dtype=np.float32)[2]
    for _ in range(64):
        agent.remember(obs, 0, 1.0, obs, True)
    assert agent.learn() is not None
    for _ in range(150):
        loss = agent.learn()
    assert loss < 1e-3
    assert agent.q_values(obs)[0] == pytest.approx(1.0, abs=0.05)


def test_short_seeded_run_improves_and_is_reproducible():
    env = Corridor()
    agent = small_agent()
    before = agent.evaluate(env, 1)
    returns = agent.train(env, 40, seed=0)
    after = agent.evaluate(env, 1)
    assert after == pytest.approx(1.0 - 4 * 0.05)  # the shortest walk: 4 steps then the goal
    assert after > before
    again = small_agent().train(Corridor(), 40, seed=0)
    assert again == returns


def test_train_keeps_the_best_evaluated_weights(monkeypatch):
    agent = small_agent()
    scores = iter([5.0, 1.0])
    snapshots = []
    monkeypatch.setattr(agent, "evaluate", lambda env, episodes: next(scores))
    original = agent.run_episode

    def run_and_snapshot(env, seed=None, learn=True):
        result = original(env, seed, learn)
        snapshots.append([p.detach().numpy().copy() for p in agent.policy_net.parameters()])
        return result
    monkeypatch.setattr(agent, "run_episode", run_and_snapshot)
    agent.train(Corridor(), 4, eval_every=2)
    for p, kept in zip(agent.policy_net.parameters(), snapshots[1]):  # weights after episode 2 scored best
        np.testing.assert_array_equal(p.detach().numpy(), kept)


def test_save_and_load_round_trip(tmp_path):
    agent = small_agent()
    env = Corridor()
    agent.train(env, 3, seed=0)
    path = tmp_path / "dqn.safetensors"
    agent.save(path)
    other = small_agent(seed=1).load(path)
    obs = np.eye(6, dtype=np.float32)[3]
    np.testing.assert_array_equal(agent.q_values(obs), other.q_values(obs))
    assert other.steps_done == agent.steps_done and other.learn_steps == agent.learn_steps


def test_bad_input_names_the_argument():
    agent = small_agent()
    with pytest.raises(ValueError, match="obs"):
        agent.act(np.zeros(5, np.float32))
    with pytest.raises(IndexError, match="action"):
        agent.remember(np.zeros(6), 2, 0.0, np.zeros(6), False)
    with pytest.raises(ValueError, match="next_obs|obs"):
        agent.remember(np.zeros(6), 1, 0.0, np.zeros(7), False)
    with pytest.raises(ValueError, match="buffer_capacity|capacity"):
        small_agent(buffer_capacity=-5)
    with pytest.raises(ValueError, match="tau"):
        small_agent(tau=0.0)


def test_works_on_the_reference_backend():
    from fastnn.kernels.backend import set_backend
    set_backend("reference")
    try:
        agent = small_agent()
        obs = np.eye(6, dtype=np.float32)[1]
        for _ in range(32):
            agent.remember(obs, 1, 1.0, obs, True)
        first = agent.learn()
        for _ in range(30):
            last = agent.learn()
        assert last < first
    finally:
        set_backend("compiled")


def test_cartpole_with_gymnasium_runs_an_episode():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CartPole-v1")
    agent = DQN(4, 2, batch_size=8, seed=0)
    assert agent.run_episode(env, seed=0) >= 1
    assert len(agent.memory) >= 1


@pytest.mark.slow
def test_dqn_solves_cartpole():
    """The zoo's full recipe (`fastnn zoo dqn --full`): CartPole-v1's solved line over 100 fresh greedy episodes."""
    from fastnn.zoo.dqn import train
    result = train(seed=0, full=True)
    assert result["value"] >= 475
    assert result["target"]["value"] == 475


def test_zoo_dqn_rows_state_their_reference():
    from fastnn.zoo.dqn import train
    row = train(quick=True, episodes=2)
    assert row["model"] == "DQN (double)" and row["episodes"] == 2
    assert row["target"]["value"] == 195  # the default budget's line; --full is measured against 475
