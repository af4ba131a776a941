"""Datasets, random_split, default_collate and default_convert against torch.utils.data."""
import collections

import numpy as np
import pytest

import fastnn
from fastnn.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                               TensorDataset, default_collate, default_convert, random_split)

torch = pytest.importorskip("torch")
tud = torch.utils.data

Point = collections.namedtuple("Point", "x y")


def plain(obj):
    """Nested Python of a collated result, tensors as (dtype name, values), for either library."""
    if isinstance(obj, (fastnn.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.tolist())
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


def as_torch(sample):
    if isinstance(sample, fastnn.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return {k: as_torch(v) for k, v in sample.items()}
    if isinstance(sample, Point):
        return Point(*(as_torch(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(as_torch(v) for v in sample)
    return sample


BATCHES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.0],
    "bools": [True, False],
    "strings": ["a", "bc"],
    "f32 arrays": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "i64 arrays": [np.arange(3), np.arange(3, 6)],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "numpy int scalars": [np.int64(4), np.int64(5)],
    "tensors": [fastnn.ones(2, 2), fastnn.zeros(2, 2)],
    "tuples": [(fastnn.ones(2), 1), (fastnn.zeros(2), 2)],
    "lists": [[1, 2.5], [3, 4.5]],
    "dicts": [{"x": np.ones(2, np.float32), "y": 0, "name": "a"}, {"x": np.zeros(2, np.float32), "y": 1, "name": "b"}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"a": (1, [2.0, 3.0])}, {"a": (4, [5.0, 6.0])}],
}


@pytest.mark.parametrize("name", BATCHES)
def test_default_collate_matches_torch(name):
    batch = BATCHES[name]
    assert plain(default_collate(batch)) == plain(tud.default_collate([as_torch(b) for b in batch]))


@pytest.mark.parametrize("name", BATCHES)
def test_default_convert_matches_torch(name):
    sample = BATCHES[name][0]
    assert plain(default_convert(sample)) == plain(tud.default_convert(as_torch(sample)))


@pytest.mark.parametrize("batch", [[[1, 2], [3]], [object(), object()], [np.array(["a"]), np.array(["b"])]])
def test_default_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as theirs:
        tud.default_collate(batch)
    with pytest.raises(type(theirs.value)):
        default_collate(batch)


def test_tensor_dataset_and_add():
    ds = TensorDataset(fastnn.arange(4), fastnn.arange(4) * 10)
    assert [t.tolist() for t in ds[2]] == [2, 20]
    both = ds + ds
    assert isinstance(both, ConcatDataset) and len(both) == 8 and both[5][1].item() == 10


def test_concat_dataset_matches_torch():
    parts = [range(3), range(10, 14), range(20, 22)]
    ours, theirs = ConcatDataset(parts), tud.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes and len(ours) == len(theirs)
    assert [ours[i] for i in range(-len(ours), len(ours))] == [theirs[i] for i in range(-len(theirs), len(theirs))]
    for bad in (9, -10):
        with pytest.raises(Exception) as e:
            theirs[bad]
        with pytest.raises(type(e.value)):
            ours[bad]
    with pytest.raises(ValueError):
        ConcatDataset([])


class Count(IterableDataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        return iter(range(self.lo, self.hi))

    def __len__(self):
        return self.hi - self.lo


def test_chain_dataset_and_iterable_add():
    chain = ChainDataset([Count(0, 3), Count(5, 7)])
    assert list(chain) == [0, 1, 2, 5, 6] and len(chain) == 5
    assert list(Count(0, 2) + Count(3, 4)) == [0, 1, 3]
    with pytest.raises(TypeError):
        list(ChainDataset([range(3)]))
    with pytest.raises(TypeError):
        ConcatDataset([Count(0, 3)])
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_subset_and_getitems():
    base = list(range(100, 110))
    ours, theirs = Subset(base, [4, 1, 7]), tud.Subset(base, [4, 1, 7])
    assert [ours[i] for i in range(3)] == [theirs[i] for i in range(3)]
    assert ours.__getitems__([2, 0]) == theirs.__getitems__([2, 0]) == [107, 104]
    assert len(ours) == 3


def test_stack_dataset_matches_torch():
    a, b = list(range(3)), [4, 5, 6]
    assert StackDataset(a, b)[1] == tud.StackDataset(a, b)[1] == (1, 5)
    assert StackDataset(x=a, y=b)[2] == tud.StackDataset(x=a, y=b)[2]
    assert StackDataset(a, b).__getitems__([0, 2]) == tud.StackDataset(a, b).__getitems__([0, 2])
    assert len(StackDataset(a, b)) == 3
    with pytest.raises(ValueError):
        StackDataset(a, [1])
    with pytest.raises(ValueError):
        StackDataset(a, y=b)


@pytest.mark.parametrize("lengths", [[7, 3], [0.33, 0.33, 0.34], [0.5, 0.5], [1.0], [0.25, 0.25, 0.25, 0.25]])
def test_random_split_lengths_match_torch(lengths):
    ds = list(range(10))
    ours = random_split(ds, lengths, generator=fastnn.Generator().manual_seed(0))
    theirs = tud.random_split(ds, lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    items = sorted(x for s in ours for x in (s[i] for i in range(len(s))))
    assert items == ds  # disjoint and covering
    again = random_split(ds, lengths, generator=fastnn.Generator().manual_seed(0))
    assert [s.indices for s in again] == [s.indices for s in ours]


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.6], [1.5, -0.5]])
def test_random_split_errors_match_torch(lengths):
    with pytest.raises(Exception) as theirs:
        tud.random_split(range(10), lengths)
    with pytest.raises(type(theirs.value), match=str(theirs.value).split("!")[0][:30]):
        random_split(range(10), lengths)


def test_random_split_warns_on_an_empty_split():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.9, 0.1])


def test_import_paths():
    import fastnn.utils.data.dataloader as dl_mod
    import fastnn.utils.data.dataset as ds_mod
    import fastnn.utils.data.distributed as dist_mod
    import fastnn.utils.data.sampler as s_mod
    from fastnn.utils.data._utils.collate import collate, default_collate_fn_map
    assert dl_mod.DataLoader is fastnn.utils.data.DataLoader and dl_mod.default_collate is default_collate
    assert ds_mod.Dataset is Dataset and s_mod.RandomSampler is fastnn.utils.data.RandomSampler
    assert issubclass(dist_mod.DistributedSampler, s_mod.Sampler)
    from fastnn import data as fastnn_data
    assert fastnn_data.RandomSampler is s_mod.RandomSampler
    assert collate([1, 2], collate_fn_map=default_collate_fn_map).tolist() == [1, 2]
    ours = set(fastnn.utils.data.__all__)
    pipes = {"DFIterDataPipe", "DataChunk", "IterDataPipe", "MapDataPipe", "functional_datapipe",
             "argument_validation", "guaranteed_datapipes_determinism", "non_deterministic", "runtime_validation",
             "runtime_validation_disabled", "_DatasetKind"}  # torchdata's deprecated DataPipes: not provided
    assert set(tud.__all__) - pipes <= ours


def test_classes_take_type_parameters_as_in_torch():
    from typing import List, Tuple

    from fastnn.utils.data import DataLoader, Sampler

    class Pairs(Dataset[Tuple[fastnn.Tensor, int]]):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return fastnn.ones(2) * i, i

    class Backwards(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

    loader: DataLoader[List[fastnn.Tensor]] = DataLoader(Pairs(), batch_size=2, sampler=Backwards(2))
    x, y = next(iter(loader))
    assert y.tolist() == [1, 0] and x.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert isinstance(Count(0, 1), IterableDataset)
