"""DQN on CartPole-v1 (Gymnasium's when installed, the built-in twin otherwise).

The Gymnasium DQN tutorial's recipe (see fastnn.rl.DQN). Every 10 episodes the greedy policy
plays 10 episodes; the best weights are kept and training stops once they score 500. The
reported value is the mean return of the kept policy over 100 fresh greedy episodes
(CartPole-v1 counts as solved at 475).

Measured (seed 0, Gymnasium 1.4, one thread on a shared 2-core AMD EPYC under heavy load): an
evaluation reached 500 after 180 training episodes; the kept policy scored 500.0 over 100 fresh
greedy episodes; 487 s wall in all.
"""
import os
import time

from ..rl import DQN, make
from . import progress, plot_curves, target


def train(quick=False, data_dir=None, plot_dir=None, seed=0, episodes=None, double=False, full=False):
    start = time.perf_counter()
    env = make("CartPole-v1")
    agent = DQN(env.observation_space.shape[0], env.action_space.n, double=double, seed=seed)
    episodes = episodes or (20 if quick else 600 if full else 100)  # default: the zoo's few-minute budget
    returns = agent.train(env, episodes, seed=seed, eval_every=10, eval_episodes=10, target_return=500,
                          progress=lambda it: progress(it, desc="dqn CartPole-v1"))
    score = agent.evaluate(env, 10 if quick else 100, seed=seed + 10_000)
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        plot_curves(os.path.join(plot_dir, "dqn_cartpole_returns.png"), {"training return": returns},
                    "DQN on CartPole-v1", xlabel="episode", ylabel="return")
    return {"model": "DQN" + (" (double)" if double else ""), "data": "CartPole-v1",
            "metric": f"greedy return, {10 if quick else 100} episodes", "value": score,
            "seconds": time.perf_counter() - start, "episodes": len(returns),
            "target": target(">=", 475, "solved at 475")}
