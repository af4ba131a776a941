"""Replay buffer: capacity, wrap-around, sample shapes and dtypes, seeding, bad input."""
import numpy as np
import pytest

from fastnn.rl import ReplayBuffer


def fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.push(np.full(3, i, np.float32), i % 2, float(i), np.full(3, i + 1, np.float32), i % 5 == 0)


def test_capacity_and_wrap_around():
    buffer = ReplayBuffer(4, 3, seed=0)
    fill(buffer, 3)
    assert len(buffer) == 3 and buffer.position == 3
    fill(buffer, 3, start=3)  # 6 pushes into 4 slots: 4 and 5 overwrite 0 and 1
    assert len(buffer) == 4 and buffer.position == 2
    assert sorted(buffer.reward.tolist()) == [2.0, 3.0, 4.0, 5.0]
    assert buffer.obs[0, 0] == 4 and buffer.next_obs[1, 0] == 6


def test_sample_shapes_dtypes_and_consistency():
    buffer = ReplayBuffer(100, (3,), seed=0)
    fill(buffer, 50)
    batch = buffer.sample(32)
    assert batch.obs.shape == batch.next_obs.shape == (32, 3) and batch.obs.dtype == np.float32
    assert batch.action.shape == (32,) and batch.action.dtype == np.int64
    assert batch.reward.shape == batch.terminated.shape == (32,)
    # every sampled row is one stored transition
    i = batch.reward.astype(int)
    np.testing.assert_array_equal(batch.obs[:, 0], i)
    np.testing.assert_array_equal(batch.next_obs[:, 0], i + 1)
    np.testing.assert_array_equal(batch.action, i % 2)
    np.testing.assert_array_equal(batch.terminated, (i % 5 == 0).astype(np.float32))


def test_sampling_is_uniform_and_seeded():
    a, b = ReplayBuffer(10, 3, seed=1), ReplayBuffer(10, 3, seed=1)
    fill(a, 10)
    fill(b, 10)
    np.testing.assert_array_equal(a.sample(16).reward, b.sample(16).reward)
    counts = np.bincount(a.sample(20000).reward.astype(int), minlength=10)
    assert counts.min() > 1700 and counts.max() < 2300  # 2000 expected per slot


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(-1, 3)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 3)
    buffer = ReplayBuffer(5, 3)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2)
    with pytest.raises(ValueError, match="obs"):
        buffer.push(np.zeros(4), 0, 0.0, np.zeros(3), False)
    with pytest.raises(ValueError, match="next_obs"):
        buffer.push(np.zeros(3), 0, 0.0, np.zeros((3, 1)), False)
    fill(buffer, 1)
    with pytest.raises(ValueError, match="batch_size"):
        buffer.sample(0)
