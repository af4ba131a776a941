"""Argument checks shared by the agents: errors name the argument and what was expected."""
import numpy as np

from .._checks import positive_int


def check_index(value, n, name):
    """An integer state or action in [0, n), as a Python int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
            value = value.item()
        else:
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 0 <= value < n:
        raise IndexError(f"{name} must be in [0, {n}), got {value}")
    return int(value)


# Evaluation episodes of an environment without a time limit stop here: a greedy policy can cycle
# forever (walking into CliffWalking's wall); 1000 is the longest limit of the classic-control tasks.
DEFAULT_MAX_STEPS = 1000


def step_cap(env, max_steps):
    """Steps an evaluation episode may take: max_steps, else the env's own time limit, else DEFAULT_MAX_STEPS."""
    if max_steps is not None:
        return positive_int(max_steps, "max_steps")
    limit = getattr(env, "max_episode_steps", None)  # fastnn.rl.envs
    if limit is None:
        limit = getattr(getattr(env, "spec", None), "max_episode_steps", None)  # Gymnasium's TimeLimit
    return int(limit) if limit else DEFAULT_MAX_STEPS
