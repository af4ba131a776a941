"""Experience replay: a fixed-capacity ring of transitions in preallocated NumPy arrays."""
from collections import namedtuple

import numpy as np

from .._checks import positive_int

Batch = namedtuple("Batch", ["obs", "action", "reward", "next_obs", "terminated"])


class ReplayBuffer:
    """Stores (obs, action, reward, next_obs, terminated); once full, the oldest are overwritten.

    `sample(batch_size)` draws uniformly with replacement, seeded by `seed` (an int, a
    np.random.SeedSequence or None), and returns a Batch
    of arrays: obs/next_obs (batch, *obs_shape) in obs_dtype, action int64, reward float32,
    terminated float32 (1.0 where the next state is terminal, so its value is not bootstrapped).
    """

    def __init__(self, capacity, obs_shape, obs_dtype=np.float32, seed=None):
        self.capacity = positive_int(capacity, "capacity")
        self.obs_shape = (int(obs_shape),) if isinstance(obs_shape, (int, np.integer)) else tuple(obs_shape)
        self.obs = np.zeros((self.capacity, *self.obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros_like(self.obs)
        self.action = np.zeros(self.capacity, dtype=np.int64)
        self.reward = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.position = 0  # where the next transition goes
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def _observation(self, value, name):
        value = np.asarray(value)
        if value.shape != self.obs_shape:
            raise ValueError(f"{name} must have shape {self.obs_shape}, got {value.shape}")
        return value

    def push(self, obs, action, reward, next_obs, terminated):
        i = self.position
        self.obs[i] = self._observation(obs, "obs")
        self.next_obs[i] = self._observation(next_obs, "next_obs")
        self.action[i] = action
        self.reward[i] = reward
        self.terminated[i] = float(bool(terminated))
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        batch_size = positive_int(batch_size, "batch_size")
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = self.rng.integers(0, self.size, batch_size)
        return Batch(self.obs[idx], self.action[idx], self.reward[idx], self.next_obs[idx], self.terminated[idx])
