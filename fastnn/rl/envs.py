"""Small environments with Gymnasium's API, so the RL demos run without Gymnasium installed.

`FrozenLake`, `CliffWalking` and `CartPole` follow the dynamics, rewards and time limits of
Gymnasium's FrozenLake-v1 (4x4), CliffWalking-v1 and CartPole-v1: `reset(seed=None)` returns
(observation, info) and `step(action)` returns (observation, reward, terminated, truncated, info).
`make(name)` gives Gymnasium's environment when Gymnasium is installed and knows the id, these otherwise.
"""
import math

import numpy as np

from .spaces import Discrete, Box


class Env:
    """The part of gymnasium.Env the agents use: spaces, seeded reset, step with a time limit."""
    max_episode_steps = None

    def reset(self, seed=None, options=None):
        if seed is not None or not hasattr(self, "np_random"):
            self.np_random = np.random.default_rng(seed)
            self.action_space.seed(None if seed is None else seed + 1)
        self._elapsed = 0
        return self._reset(), {}

    def step(self, action):
        if not hasattr(self, "_elapsed"):
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in [0, {self.action_space.n}), got {action!r}")
        obs, reward, terminated = self._step(int(action))
        self._elapsed += 1
        truncated = self.max_episode_steps is not None and self._elapsed >= self.max_episode_steps and not terminated
        return obs, reward, terminated, truncated, {}

    def close(self):
        pass


# FrozenLake's and CliffWalking's row/column moves for their action numbering
_LEFT, _DOWN, _RIGHT, _UP = (0, -1), (1, 0), (0, 1), (-1, 0)


class FrozenLake(Env):
    """Walk from S to G on a 4x4 lake without falling into a hole H; reward 1 at G.

    Actions 0 left, 1 down, 2 right, 3 up. On slippery ice the agent moves in the chosen
    direction or either perpendicular one with probability 1/3 each. Episodes stop after 100 steps.
    """
    MAP = ("SFFF", "FHFH", "FFFH", "HFFG")
    max_episode_steps = 100

    def __init__(self, is_slippery=True):
        self.is_slippery = is_slippery
        self.nrow, self.ncol = len(self.MAP), len(self.MAP[0])
        self.observation_space = Discrete(self.nrow * self.ncol)
        self.action_space = Discrete(4)

    def _reset(self):
        self.s = 0
        return self.s

    def _step(self, action):
        if self.is_slippery:
            action = (action + int(self.np_random.integers(-1, 2))) % 4
        dr, dc = (_LEFT, _DOWN, _RIGHT, _UP)[action]
        r, c = divmod(self.s, self.ncol)
        r, c = min(max(r + dr, 0), self.nrow - 1), min(max(c + dc, 0), self.ncol - 1)
        self.s = r * self.ncol + c
        tile = self.MAP[r][c]
        return self.s, float(tile == "G"), tile in "GH"


class CliffWalking(Env):
    """Walk along a 4x12 grid from bottom-left to bottom-right; -1 per step.

    Actions 0 up, 1 right, 2 down, 3 left. Stepping onto the cliff (the bottom row between
    start and goal) costs -100 and puts the agent back at the start. The shortest safe path
    takes 13 steps (return -13).
    """
    shape = (4, 12)

    def __init__(self):
        self.observation_space = Discrete(self.shape[0] * self.shape[1])
        self.action_space = Discrete(4)
        self.start = (self.shape[0] - 1) * self.shape[1]
        self.goal = self.start + self.shape[1] - 1

    def _reset(self):
        self.s = self.start
        return self.s

    def _step(self, action):
        dr, dc = (_UP, _RIGHT, _DOWN, _LEFT)[action]
        r, c = divmod(self.s, self.shape[1])
        r, c = min(max(r + dr, 0), self.shape[0] - 1), min(max(c + dc, 0), self.shape[1] - 1)
        self.s = r * self.shape[1] + c
        if r == self.shape[0] - 1 and 0 < c < self.shape[1] - 1:
            self.s = self.start
            return self.s, -100.0, False
        return self.s, -1.0, self.s == self.goal


class CartPole(Env):
    """Balance a pole on a cart (Barto, Sutton & Anderson 1983): reward 1 per step, up to 500 steps.

    Observation (x, x_dot, theta, theta_dot) float32; actions 0 push left, 1 push right. The
    episode ends when |theta| > 12 degrees or |x| > 2.4. Euler steps of 0.02 s as in Gymnasium.
    """
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_limit, x_limit = 12 * 2 * math.pi / 360, 2.4
    max_episode_steps = 500

    def __init__(self):
        high = np.array([self.x_limit * 2, np.inf, self.theta_limit * 2, np.inf], dtype=np.float32)
        self.observation_space = Box(-high, high)
        self.action_space = Discrete(2)

    def _reset(self):
        self.state = self.np_random.uniform(-0.05, 0.05, 4)
        return self.state.astype(np.float32)

    def _step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        cos, sin = math.cos(theta), math.sin(theta)
        total_mass, pole_ml = self.masscart + self.masspole, self.masspole * self.length
        temp = (force + pole_ml * theta_dot ** 2 * sin) / total_mass
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * cos ** 2 / total_mass))
        x_acc = temp - pole_ml * theta_acc * cos / total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * x_acc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot])
        terminated = abs(x) > self.x_limit or abs(theta) > self.theta_limit
        return self.state.astype(np.float32), 1.0, bool(terminated)


BUILTIN = {"FrozenLake-v1": FrozenLake, "CliffWalking-v1": CliffWalking, "CartPole-v1": CartPole}


def make(name, prefer_gymnasium=True, **kwargs):
    """Gymnasium's environment `name` when Gymnasium is installed (and preferred), else the built-in one.

    The built-in one is also used when the installed Gymnasium does not register `name` (older
    releases have CliffWalking-v0 but not -v1, for example).
    """
    if prefer_gymnasium:
        try:
            import gymnasium
        except ImportError:
            gymnasium = None
        if gymnasium is not None and (name in gymnasium.registry or name not in BUILTIN):
            return gymnasium.make(name, **kwargs)
    if name not in BUILTIN:
        raise ValueError(f"no built-in environment {name!r}; choose from {sorted(BUILTIN)} or install gymnasium")
    return BUILTIN[name](**kwargs)
