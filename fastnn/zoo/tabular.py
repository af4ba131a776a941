"""Tabular Q-learning and SARSA on CliffWalking-v1 and slippery FrozenLake-v1.

Gymnasium's environments when it is installed, the built-in twins otherwise. CliffWalking is
scored by the greedy policy's return (optimum -13); FrozenLake by the greedy policy's success
rate over 1,000 episodes (optimum about 0.74). Epsilon falls linearly over the training episodes.

Measured (seed 0, Gymnasium 1.4): Q-learning -13 on CliffWalking (0.4 s) and 0.740 on FrozenLake
(20,000 episodes, 14 s); SARSA -17 (the safer path, as expected of on-policy learning) and 0.725.
"""
import os
import time

from ..rl import QLearning, SARSA, make
from . import progress, plot_curves, target

AGENTS = {"qlearning": QLearning, "sarsa": SARSA}
# (episodes, quick episodes, alpha, gamma, epsilon start -> end, evaluation episodes)
SETTINGS = {
    "CliffWalking-v1": dict(episodes=500, quick=200, alpha=0.5, gamma=1.0, eps=(0.1, 0.0), evaluate=1),
    "FrozenLake-v1": dict(episodes=20000, quick=1500, alpha=0.05, gamma=0.99, eps=(1.0, 0.01), evaluate=1000),
}
# Q-learning finds the optimal cliff-edge path (-13); SARSA, learning on-policy with exploration, the safer -17.
TARGETS = {("qlearning", "CliffWalking-v1"): target(">=", -13, "optimum -13"),
           ("sarsa", "CliffWalking-v1"): target(">=", -17, "safe path -17; optimum -13"),
           ("qlearning", "FrozenLake-v1"): target(">=", 0.70, "optimum about 0.74"),
           ("sarsa", "FrozenLake-v1"): target(">=", 0.70, "optimum about 0.74")}


def _moving_average(values, width):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - width] if i >= width else 0.0)
        out.append(total / min(i + 1, width))
    return out


def run_one(agent_name, env_name, quick=False, seed=0):
    """Train one agent on one environment; returns (agent, training returns, greedy score)."""
    s = SETTINGS[env_name]
    env = make(env_name)
    agent = AGENTS[agent_name](env.observation_space.n, env.action_space.n, alpha=s["alpha"], gamma=s["gamma"],
                               epsilon=s["eps"][0], seed=seed)
    returns = agent.train(env, s["quick"] if quick else s["episodes"], epsilon_end=s["eps"][1], seed=seed,
                          progress=lambda it: progress(it, desc=f"{agent_name} {env_name}"))
    return agent, returns, agent.evaluate(env, s["evaluate"], seed=seed + 1)


def train(quick=False, data_dir=None, plot_dir=None, seed=0, agents=("qlearning", "sarsa")):
    rows, curves = [], {}
    for agent_name in agents:
        for env_name in SETTINGS:
            start = time.perf_counter()
            _, returns, score = run_one(agent_name, env_name, quick, seed)
            metric = "greedy return (optimum -13)" if env_name.startswith("Cliff") else "greedy success rate"
            rows.append({"model": AGENTS[agent_name].__name__, "data": env_name, "metric": metric, "value": score,
                         "seconds": time.perf_counter() - start, "episodes": len(returns),
                         "target": TARGETS[agent_name, env_name]})
            curves.setdefault(env_name, {})[AGENTS[agent_name].__name__] = returns
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        for env_name, by_agent in curves.items():
            width = 20 if env_name.startswith("Cliff") else 500
            plot_curves(os.path.join(plot_dir, f"tabular_{env_name}_returns.png"),
                        {k: _moving_average(v, width) for k, v in by_agent.items()},
                        f"{env_name}: training return (moving average of {width})", xlabel="episode", ylabel="return")
    return rows
