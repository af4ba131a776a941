"""`fastnn zoo qlearning dqn --quick`: a scored row for every agent and environment, plots written."""
import math

from fastnn.zoo import run, format_table


def test_zoo_rl_quick(tmp_path):
    rows = run(["qlearning", "dqn"], budget="quick", plot_dir=str(tmp_path))
    assert [(r["model"], r["data"]) for r in rows] == [
        ("QLearning", "CliffWalking-v1"), ("QLearning", "FrozenLake-v1"),
        ("SARSA", "CliffWalking-v1"), ("SARSA", "FrozenLake-v1"), ("DQN (double)", "CartPole-v1")]
    assert rows[0]["value"] == -13.0  # Q-learning finds the optimal path even in the quick run
    assert all(math.isfinite(r["value"]) for r in rows) and rows[-1]["value"] >= 8  # CartPole gives >= 8 steps
    assert [r["name"] for r in rows] == ["qlearning"] * 4 + ["dqn"]
    assert "CartPole-v1" in format_table(rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dqn_cartpole_returns.png", "tabular_CliffWalking-v1_returns.png", "tabular_FrozenLake-v1_returns.png"]
