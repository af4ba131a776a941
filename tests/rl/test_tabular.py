"""Tabular agents: update rules against hand-computed values, seeding, learning on the grid worlds."""
import numpy as np
import pytest

from fastnn.rl import QLearning, SARSA, CliffWalking, FrozenLake


def test_qlearning_update_by_hand():
    agent = QLearning(3, 2, alpha=0.5, gamma=0.9, epsilon=0.0, seed=0)
    agent.q[:] = [[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]]
    td = agent.update(0, 1, reward=1.0, next_state=1)
    # target 1 + 0.9 * max(3, -1) = 3.7; error 3.7 - 2 = 1.7; new value 2 + 0.5 * 1.7 = 2.85
    assert td == pytest.approx(1.7)
    assert agent.q[0, 1] == pytest.approx(2.85)
    agent.update(1, 0, reward=-2.0, next_state=2, terminated=True)
    assert agent.q[1, 0] == pytest.approx(3.0 + 0.5 * (-2.0 - 3.0))  # terminal: no bootstrap
    assert agent.q[0, 0] == 1.0 and agent.q[2].tolist() == [0.0, 0.0]


def test_sarsa_update_uses_the_next_action_taken():
    agent = SARSA(3, 2, alpha=0.5, gamma=0.9, epsilon=0.0, seed=0)
    agent.q[:] = [[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]]
    agent.update(0, 1, reward=1.0, next_state=1, next_action=1)
    # target 1 + 0.9 * Q(1, 1) = 1 - 0.9 = 0.1; new value 2 + 0.5 * (0.1 - 2) = 1.05
    assert agent.q[0, 1] == pytest.approx(1.05)
    agent.update(1, 1, reward=4.0, next_state=0, next_action=0, terminated=True)
    assert agent.q[1, 1] == pytest.approx(-1.0 + 0.5 * (4.0 + 1.0))


def test_epsilon_greedy_choice():
    agent = QLearning(2, 4, epsilon=0.0, seed=0)
    agent.q[1] = [0.0, 5.0, 1.0, 5.0]
    assert {agent.choose_action(1) for _ in range(50)} == {1, 3}  # ties between the best broken at random
    agent.epsilon = 1.0
    assert set(agent.choose_action(1) for _ in range(200)) == {0, 1, 2, 3}
    assert agent.choose_action(1, greedy=True) in (1, 3)


def test_seeded_training_is_reproducible():
    runs = [QLearning(48, 4, alpha=0.5, gamma=1.0, epsilon=0.1, seed=7).train(CliffWalking(), 30, seed=7)
            for _ in range(2)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize("agent_class, expected", [(QLearning, -13.0), (SARSA, None)])
def test_cliffwalking_learns_a_safe_short_path(agent_class, expected):
    env = CliffWalking()
    agent = agent_class(48, 4, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)
    returns = agent.train(env, 300, epsilon_end=0.0, seed=0)
    greedy = agent.evaluate(env, 1)
    assert np.mean(returns[:20]) < -100 < np.mean(returns[-20:])
    if expected is not None:
        assert greedy == expected  # Q-learning finds the optimal path along the cliff edge
    else:
        assert -17.0 <= greedy <= -13.0  # SARSA may prefer a safer, longer path


def test_frozenlake_training_improves_success():
    env = FrozenLake()
    agent = QLearning(16, 4, alpha=0.1, gamma=0.99, epsilon=1.0, seed=0)
    untrained = agent.evaluate(env, 200, seed=1)
    agent.train(env, 1500, epsilon_end=0.01, seed=0)
    assert agent.evaluate(env, 200, seed=1) > untrained + 0.5  # seed 0 reaches 0.70


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="n_states"):
        QLearning(0, 4)
    with pytest.raises(ValueError, match="alpha"):
        QLearning(4, 4, alpha=1.5)
    agent = QLearning(4, 2)
    with pytest.raises(IndexError, match="action"):
        agent.update(0, 2, 1.0, 1)
    with pytest.raises(IndexError, match="next_state"):
        agent.update(0, 1, 1.0, 4)
    with pytest.raises(TypeError, match="state"):
        agent.choose_action(0.5)
    with pytest.raises(IndexError, match="next_action"):
        SARSA(4, 2).update(0, 1, 1.0, 1, next_action=-1)


@pytest.mark.slow
def test_qlearning_reaches_the_documented_targets():
    from fastnn.zoo.tabular import run_one
    _, _, cliff = run_one("qlearning", "CliffWalking-v1", seed=0)
    _, _, lake = run_one("qlearning", "FrozenLake-v1", seed=0)
    assert cliff == -13.0 and lake >= 0.70
