"""DataLoader in the main process against torch.utils.data.DataLoader: arguments, batching, len."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler,
                               SubsetRandomSampler, TensorDataset, get_worker_info)

torch = pytest.importorskip("torch")
tud = torch.utils.data


def values(batches):
    def one(b):
        if hasattr(b, "tolist"):
            return b.tolist()
        return [one(x) for x in b] if isinstance(b, (list, tuple)) else b
    return [one(b) for b in batches]


class Stream(IterableDataset):
    def __init__(self, n, with_len=True):
        self.n = n
        self.with_len = with_len

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.with_len:
            raise TypeError("no len")
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="batchsize"):
        DataLoader(range(4), batchsize=64)


BAD = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
       dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
       dict(batch_sampler=[[0]], shuffle=True),
       dict(batch_sampler=[[0]], sampler=[0]), dict(batch_sampler=[[0]], drop_last=True),
       dict(batch_size=None, drop_last=True), dict(batch_size=0), dict(batch_size=-2),
       dict(multiprocessing_context="fork"), dict(num_workers=1, multiprocessing_context="nope"),
       dict(num_workers=1, multiprocessing_context=3)]


@pytest.mark.parametrize("kwargs", BAD, ids=[str(k) for k in BAD])
def test_bad_arguments_raise_as_torch(kwargs):
    with pytest.raises(Exception) as theirs:
        tud.DataLoader(range(4), **kwargs)
    with pytest.raises(type(theirs.value)):
        DataLoader(range(4), **kwargs)


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_prefetch_factor_must_be_positive_with_workers(value):
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(range(4), num_workers=1, prefetch_factor=value)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_refuses_sampling_options(kwargs):
    with pytest.raises(ValueError):
        tud.DataLoader(TorchStream(3), **kwargs)
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(3), **kwargs)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=4, shuffle=False),
                                    dict(sampler=[5, 1, 3, 8]), dict(sampler=[5, 1, 3, 8], batch_size=3),
                                    dict(batch_sampler=[[0, 9], [3], [4, 5, 6]]),
                                    dict(batch_sampler=BatchSampler(range(10), 4, True))])
def test_map_style_batches_and_len_match_torch(kwargs):
    data = list(range(10))
    ours, theirs = DataLoader(data, **kwargs), tud.DataLoader(data, **kwargs)
    assert values(ours) == values(theirs)
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=20)])
def test_iterable_dataset_batches_and_len_match_torch(kwargs):
    ours, theirs = DataLoader(Stream(7), **kwargs), tud.DataLoader(TorchStream(7), **kwargs)
    assert values(ours) == values(theirs)
    assert len(ours) == len(theirs)
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7, with_len=False), **kwargs))


def test_tensor_dataset_batches_are_lists_of_tensors_as_in_torch():
    x = fastnn.arange(20).reshape(10, 2).float()
    y = fastnn.arange(10)
    ours = list(DataLoader(TensorDataset(x, y), batch_size=4))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.arange(20).reshape(10, 2).float(), torch.arange(10)),
                                 batch_size=4))
    assert type(ours[0]) is type(theirs[0]) is list
    assert values(ours) == values(theirs)
    assert ours[0][0].dtype == fastnn.float32 and ours[0][1].dtype == fastnn.int64


def test_batch_size_none_converts_samples_without_batching():
    class Arrays(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i

    out = list(DataLoader(Arrays(), batch_size=None))
    assert len(out) == 3
    x, y = out[1]
    assert isinstance(x, fastnn.Tensor) and x.tolist() == [1.0, 1.0] and y == 1
    assert type(out[1]) is list  # default_convert turns a tuple into a list, as in torch


def test_custom_collate_and_subset_sampler():
    seen = []

    def collate(batch):
        seen.append(list(batch))
        return sum(batch)

    g = fastnn.Generator().manual_seed(0)
    out = list(DataLoader(list(range(100)), batch_size=3, sampler=SubsetRandomSampler([10, 20, 30, 40], g),
                          collate_fn=collate))
    assert sorted(x for b in seen for x in b) == [10, 20, 30, 40]
    assert out == [sum(b) for b in seen]


def test_shuffle_uses_the_generator():
    g1, g2 = fastnn.Generator().manual_seed(9), fastnn.Generator().manual_seed(9)
    a = values(DataLoader(list(range(30)), batch_size=30, shuffle=True, generator=g1))
    b = values(DataLoader(list(range(30)), batch_size=30, shuffle=True, generator=g2))
    assert a == b and sorted(a[0]) == list(range(30)) and a[0] != list(range(30))


def test_attributes_are_fixed_after_init_as_in_torch():
    loader = DataLoader(range(4))
    for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
            setattr(loader, name, None)
    loader.num_workers = 0  # others may change, as in torch


def test_pin_memory_warns_without_an_accelerator_as_torch():
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        next(iter(tud.DataLoader(range(4), batch_size=2, pin_memory=True)))
    with pytest.warns(UserWarning, match="no accelerator is found") as ours:
        batch = next(iter(DataLoader(range(4), batch_size=2, pin_memory=True)))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert batch.tolist() == [0, 1]
    if hasattr(batch, "is_pinned"):
        assert batch.is_pinned() is False  # as torch reports for CPU tensors with no accelerator
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        list(tud.DataLoader(range(4), pin_memory=True, pin_memory_device="cpu"))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        list(DataLoader(range(4), pin_memory=True, pin_memory_device="cpu"))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_accepted_keywords_and_main_process_worker_info():
    loader = DataLoader(range(6), batch_size=2, timeout=5, worker_init_fn=lambda i: None, pin_memory_device="",
                        in_order=False, generator=fastnn.Generator())
    assert values(loader) == [[0, 1], [2, 3], [4, 5]]
    assert get_worker_info() is None
    with pytest.raises(TypeError):
        DataLoader(range(6), in_order="yes")


def test_dataset_errors_propagate_in_the_main_process():
    class Broken(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise KeyError(f"missing {i}")

    with pytest.raises(KeyError, match="missing 0"):
        next(iter(DataLoader(Broken(), batch_size=2)))


def test_sequential_sampler_over_a_generator_based_dataset():
    # a sampler given as any iterable: drawn once per epoch, lazily
    sampler = SequentialSampler(range(5))
    assert values(DataLoader(range(5), sampler=sampler, batch_size=2)) == [[0, 1], [2, 3], [4]]
