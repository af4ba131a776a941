"""DistributedSampler partitions an epoch exactly, with PyTorch's padding and drop_last rules."""
import math
from collections import Counter

import pytest

from fastnn.utils.data import DataLoader, TensorDataset
from fastnn.utils.data.distributed import DistributedSampler
import fastnn


@pytest.mark.parametrize("n", [1, 7, 10, 12, 101])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shares_cover_the_epoch_once(n, replicas, shuffle):
    shares = [list(DistributedSampler(range(n), replicas, r, shuffle=shuffle, seed=3)) for r in range(replicas)]
    per = math.ceil(n / replicas)
    assert all(len(s) == per for s in shares)
    counts = Counter(i for s in shares for i in s)
    assert set(counts) == set(range(n))  # no sample lost
    assert sum(counts.values()) - n == per * replicas - n  # only the padding repeats
    assert all(c <= 1 + math.ceil((per * replicas - n) / n) for c in counts.values())


@pytest.mark.parametrize("n, replicas", [(10, 3), (12, 4), (101, 4), (5, 2)])
def test_drop_last_never_repeats(n, replicas):
    shares = [list(DistributedSampler(range(n), replicas, r, seed=1, drop_last=True)) for r in range(replicas)]
    flat = [i for s in shares for i in s]
    assert len(flat) == len(set(flat)) == (n // replicas) * replicas
    assert all(len(s) == len(DistributedSampler(range(n), replicas, 0, drop_last=True)) for s in shares)


def test_pytorch_order_without_shuffle():
    # PyTorch: pad with the first indices, then rank r takes r, r + N, ...
    assert list(DistributedSampler(range(10), 3, 1, shuffle=False)) == [1, 4, 7, 0]
    assert list(DistributedSampler(range(10), 3, 2, shuffle=False, drop_last=True)) == [2, 5, 8]
    assert DistributedSampler(range(10), 3, 0).total_size == 12


def test_set_epoch_reshuffles_alike_on_every_rank():
    a, b = DistributedSampler(range(50), 2, 0, seed=5), DistributedSampler(range(50), 2, 1, seed=5)
    first = list(a)
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) != first
    assert sorted(list(a) + list(b)) == list(range(50))


def test_dataloader_takes_the_sampler():
    ds = TensorDataset(fastnn.arange(10))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    assert len(loader) == 3
    assert [b[0].tolist() for b in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=DistributedSampler(ds, 2, 0), shuffle=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 2, "rank": 2}, "Invalid rank 2"),
    ({"num_replicas": 2, "rank": -1}, "Invalid rank -1"),
    ({"num_replicas": 0, "rank": 0}, "num_replicas"),
    ({"num_replicas": 2, "rank": 0, "seed": -1}, "seed"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), **kwargs)


def test_needs_a_group_or_explicit_replicas():
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))
