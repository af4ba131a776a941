"""Tabular Q-learning and SARSA (Sutton & Barto, ch. 6) with epsilon-greedy exploration."""
import numpy as np

from .._checks import positive_int
from ._checks import check_index, step_cap


def _probability(value, name):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


class TabularAgent:
    """A Q table of shape (n_states, n_actions), epsilon-greedy action choice, seeded."""

    def __init__(self, n_states, n_actions, alpha=0.1, gamma=0.99, epsilon=0.1, seed=None):
        self.n_states = positive_int(n_states, "n_states")
        self.n_actions = positive_int(n_actions, "n_actions")
        self.alpha = _probability(alpha, "alpha")
        self.gamma = _probability(gamma, "gamma")
        self.epsilon = _probability(epsilon, "epsilon")
        self.q = np.zeros((self.n_states, self.n_actions))
        self.rng = np.random.default_rng(seed)

    def greedy_action(self, state):
        """An action of highest value; ties broken at random so an untrained agent does not get stuck."""
        values = self.q[check_index(state, self.n_states, "state")]
        best = np.flatnonzero(values == values.max())
        return int(best[0] if len(best) == 1 else self.rng.choice(best))

    def choose_action(self, state, greedy=False):
        if not greedy and self.rng.random() < self.epsilon:
            check_index(state, self.n_states, "state")
            return int(self.rng.integers(self.n_actions))
        return self.greedy_action(state)

    def _td_update(self, state, action, reward, target_value):
        s = check_index(state, self.n_states, "state")
        a = check_index(action, self.n_actions, "action")
        td_error = reward + self.gamma * target_value - self.q[s, a]
        self.q[s, a] += self.alpha * td_error
        return td_error

    def train(self, env, episodes, epsilon_end=None, seed=None, progress=None):
        """Run `episodes` episodes, learning online; returns the list of episode returns.

        With `epsilon_end`, epsilon falls linearly from its current value to epsilon_end over the
        episodes (and stays there). `seed` seeds the first reset; `progress` wraps the episode range.
        """
        start_eps = self.epsilon
        episodes_iter = range(positive_int(episodes, "episodes"))
        returns = []
        for episode in (progress(episodes_iter) if progress else episodes_iter):
            if epsilon_end is not None:
                self.epsilon = start_eps + (epsilon_end - start_eps) * episode / max(episodes - 1, 1)
            obs, _ = env.reset(seed=seed if episode == 0 else None)
            returns.append(self._run_episode(env, obs))
        return returns

    def evaluate(self, env, episodes=100, seed=None, max_steps=None):
        """Mean return of the greedy policy over `episodes` episodes (no learning).

        An episode stops after max_steps steps (default: the env's time limit, else 1000), so a
        greedy policy that cycles (into a wall, say) cannot run forever.
        """
        total = 0.0
        cap = step_cap(env, max_steps)
        for episode in range(positive_int(episodes, "episodes")):
            obs, _ = env.reset(seed=None if seed is None or episode else seed)
            for _ in range(cap):
                obs, reward, terminated, truncated, _ = env.step(self.greedy_action(obs))
                total += reward
                if terminated or truncated:
                    break
        return total / episodes


class QLearning(TabularAgent):
    """Off-policy TD control: Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))."""

    def update(self, state, action, reward, next_state, terminated=False):
        """One Q-learning backup; a terminal next state has value 0. Returns the TD error."""
        next_value = 0.0 if terminated else self.q[check_index(next_state, self.n_states, "next_state")].max()
        return self._td_update(state, action, reward, next_value)

    def _run_episode(self, env, obs):
        total, done = 0.0, False
        while not done:
            action = self.choose_action(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            self.update(obs, action, reward, next_obs, terminated)
            total += reward
            obs, done = next_obs, terminated or truncated
        return total


class SARSA(TabularAgent):
    """On-policy TD control: Q(s,a) += alpha * (r + gamma * Q(s',a') - Q(s,a)), a' the action taken next."""

    def update(self, state, action, reward, next_state, next_action, terminated=False):
        """One SARSA backup; a terminal next state has value 0. Returns the TD error."""
        if terminated:
            next_value = 0.0
        else:
            next_value = self.q[check_index(next_state, self.n_states, "next_state"),
                                check_index(next_action, self.n_actions, "next_action")]
        return self._td_update(state, action, reward, next_value)

    def _run_episode(self, env, obs):
        total, done = 0.0, False
        action = self.choose_action(obs)
        while not done:
            next_obs, reward, terminated, truncated, _ = env.step(action)
            next_action = self.choose_action(next_obs)
            self.update(obs, action, reward, next_obs, next_action, terminated)
            total += reward
            obs, action, done = next_obs, next_action, terminated or truncated
        return total
