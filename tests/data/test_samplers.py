"""Samplers against torch.utils.data: same indices where the semantics fix them, the same
distributions where they are random, the same exceptions for bad arguments."""
import itertools
import time

import numpy as np
import pytest

import fastnn
from fastnn.utils.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                               SubsetRandomSampler, WeightedRandomSampler)

torch = pytest.importorskip("torch")
tud = torch.utils.data


def same_error(fn_ours, fn_torch):
    with pytest.raises(Exception) as theirs:
        fn_torch()
    with pytest.raises(type(theirs.value)):
        fn_ours()


def test_sequential_and_base():
    assert list(SequentialSampler(range(7))) == list(tud.SequentialSampler(range(7)))
    assert len(SequentialSampler(range(7))) == 7
    with pytest.raises(NotImplementedError):
        iter(Sampler())
    same_error(lambda: Sampler(range(3)), lambda: tud.Sampler(range(3)))


@pytest.mark.parametrize("n,num_samples", [(10, None), (10, 25), (10, 4), (1, 3)])
def test_random_without_replacement_is_blocks_of_permutations(n, num_samples):
    ours = list(RandomSampler(range(n), num_samples=num_samples))
    theirs = list(tud.RandomSampler(range(n), num_samples=num_samples))
    total = n if num_samples is None else num_samples
    assert len(ours) == len(theirs) == total == len(RandomSampler(range(n), num_samples=num_samples))
    for start in range(0, total, n):  # each block of n is a permutation; the tail has no repeats
        block = ours[start:start + n]
        assert len(set(block)) == len(block) and set(block) <= set(range(n))


def test_random_sampler_reproducible_by_generator_and_manual_seed():
    g = fastnn.Generator().manual_seed(5)
    a = list(RandomSampler(range(50), generator=g))
    b = list(RandomSampler(range(50), generator=fastnn.Generator().manual_seed(5)))
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))
    s = RandomSampler(range(50), generator=g)
    assert list(s) != list(s)  # the generator moves on: a new order each epoch
    fastnn.manual_seed(3)
    c = list(RandomSampler(range(50)))
    fastnn.manual_seed(3)
    assert list(RandomSampler(range(50))) == c


def test_random_with_replacement_is_uniform():
    n, draws = 8, 40000
    counts = np.bincount(list(RandomSampler(range(n), replacement=True, num_samples=draws,
                                            generator=fastnn.Generator().manual_seed(0))), minlength=n)
    ref = np.bincount(list(tud.RandomSampler(range(n), replacement=True, num_samples=draws)), minlength=n)
    expected = draws / n
    # chi-square with 7 degrees of freedom: 99.9% quantile is 24.3
    assert ((counts - expected) ** 2 / expected).sum() < 24.3
    assert ((ref - expected) ** 2 / expected).sum() < 24.3


def test_endless_sampler_is_drawn_lazily():
    ds = fastnn.utils.data.TensorDataset(fastnn.arange(10))
    s = RandomSampler(ds, replacement=True, num_samples=int(1e10))
    t = time.perf_counter()
    first = list(itertools.islice(s, 100))
    loader = DataLoader(ds, sampler=s, batch_size=4)
    batch = next(iter(loader))
    assert time.perf_counter() - t < 20  # an eager list of 1e10 indices never finishes; slack for a loaded machine
    assert len(first) == 100 and all(0 <= i < 10 for i in first)
    assert batch[0].shape == (4,)
    assert len(loader) == len(tud.DataLoader(range(10), batch_size=4, sampler=tud.RandomSampler(
        range(10), replacement=True, num_samples=int(1e10)))) == 2_500_000_000


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0), dict(num_samples=2.0),
                                    dict(num_samples=-3), dict(replacement="yes")])
def test_random_sampler_bad_arguments(kwargs):
    same_error(lambda: RandomSampler(range(3), **kwargs), lambda: tud.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler():
    idx = [3, 9, 4, 20, 7]
    ours = list(SubsetRandomSampler(idx, generator=fastnn.Generator().manual_seed(1)))
    assert sorted(ours) == sorted(tud.SubsetRandomSampler(idx)) == sorted(idx)
    assert len(SubsetRandomSampler(idx)) == 5
    again = list(SubsetRandomSampler(idx, generator=fastnn.Generator().manual_seed(1)))
    assert again == ours


def test_weighted_sampler_frequencies():
    w = [0.1, 0.0, 0.6, 0.3]
    draws = 30000
    ours = np.bincount(list(WeightedRandomSampler(w, draws, generator=fastnn.Generator().manual_seed(2))),
                       minlength=4) / draws
    theirs = np.bincount(list(tud.WeightedRandomSampler(w, draws)), minlength=4) / draws
    np.testing.assert_allclose(ours, np.array(w) / sum(w), atol=0.015)
    np.testing.assert_allclose(ours, theirs, atol=0.02)
    assert ours[1] == 0
    assert len(WeightedRandomSampler(w, 7)) == 7
    no_repeat = list(WeightedRandomSampler(fastnn.tensor([1.0, 2.0, 3.0, 4.0]), 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]
    # zero weights are drawn last, as torch.multinomial does
    assert list(WeightedRandomSampler([1.0, 0.0], 2, False)) == list(tud.WeightedRandomSampler([1.0, 0.0], 2, False))


def test_weighted_without_replacement_first_draw_follows_the_weights():
    w = np.array([1.0, 2.0, 7.0])
    g = fastnn.Generator().manual_seed(4)
    firsts = np.bincount([next(iter(WeightedRandomSampler(w, 2, replacement=False, generator=g)))
                          for _ in range(3000)], minlength=3) / 3000
    theirs = np.bincount([next(iter(tud.WeightedRandomSampler(w, 2, replacement=False)))
                          for _ in range(3000)], minlength=3) / 3000
    np.testing.assert_allclose(firsts, w / w.sum(), atol=0.03)
    np.testing.assert_allclose(firsts, theirs, atol=0.04)


@pytest.mark.parametrize("args,kwargs", [(([1.0, 2.0], 0), {}), (([[1.0, 2.0]], 2), {}), (([1.0], 1.5), {}),
                                         (([1.0, 2.0], 1), dict(replacement=0))])
def test_weighted_sampler_bad_arguments(args, kwargs):
    same_error(lambda: WeightedRandomSampler(*args, **kwargs), lambda: tud.WeightedRandomSampler(*args, **kwargs))


@pytest.mark.parametrize("args", [([1.0, -1.0], 2), ([1.0, 2.0], 3, False), ([0.0, 0.0], 1)])
def test_weighted_sampler_bad_weights_raise_when_drawn(args):
    same_error(lambda: list(WeightedRandomSampler(*args)), lambda: list(tud.WeightedRandomSampler(*args)))


@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)])
def test_batch_sampler_matches_torch(n, bs, drop):
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(BatchSampler(range(n), bs, drop)) == list(theirs)  # any iterable of indices


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(batch_size=True), dict(batch_size=-1),
                                    dict(batch_size=2.0), dict(drop_last=1)])
def test_batch_sampler_bad_arguments(kwargs):
    args = {**dict(batch_size=2, drop_last=False), **kwargs}
    same_error(lambda: BatchSampler(range(4), **args), lambda: tud.BatchSampler(range(4), **args))


def test_shuffling_an_empty_dataset_is_refused_as_torch():
    same_error(lambda: RandomSampler([]), lambda: tud.RandomSampler([]))
    same_error(lambda: DataLoader([], shuffle=True), lambda: tud.DataLoader([], shuffle=True))
    assert list(DataLoader([], batch_size=2)) == list(tud.DataLoader([], batch_size=2)) == []


@pytest.mark.parametrize("kwargs", [dict(), dict(num_samples=23), dict(num_samples=50),
                                    dict(replacement=True, num_samples=75)])
@pytest.mark.parametrize("bs,drop", [(1, False), (7, False), (7, True), (32, False), (40, True)])
def test_batches_of_a_random_sampler_are_its_indices_in_order(kwargs, bs, drop):
    plain = list(RandomSampler(range(10), generator=fastnn.Generator().manual_seed(8), **kwargs))
    batches = BatchSampler(RandomSampler(range(10), generator=fastnn.Generator().manual_seed(8), **kwargs), bs, drop)
    expect = [plain[i:i + bs] for i in range(0, len(plain), bs)]
    if drop and expect and len(expect[-1]) < bs:
        expect.pop()
    got = list(batches)
    assert got == expect and all(type(i) is int for b in got for i in b)
    arrays = BatchSampler(RandomSampler(range(10), generator=fastnn.Generator().manual_seed(8), **kwargs), bs, drop)
    assert [a.tolist() for a in arrays._array_batches()] == expect
