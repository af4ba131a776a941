"""TensorDataset / DataLoader semantics, the bundled datasets and the stratified split."""
import numpy as np
import pytest

import fastnn
from fastnn.data import load_iris, load_digits, stratified_split
from fastnn.utils.data import TensorDataset, DataLoader, Dataset, Subset, random_split


def make_ds(n=10):
    x = fastnn.arange(n * 2).reshape(n, 2).float()
    y = fastnn.arange(n)
    return TensorDataset(x, y)


def test_tensor_dataset():
    ds = make_ds()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(fastnn.ones(3, 2), fastnn.ones(4))
    with pytest.raises(ValueError):
        TensorDataset()


@pytest.mark.parametrize("n,bs,drop,expect", [(10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]),
                                               (9, 3, True, [3, 3, 3]), (2, 5, False, [2]), (2, 5, True, [])])
def test_batching_and_len(n, bs, drop, expect):
    dl = DataLoader(make_ds(n), batch_size=bs, drop_last=drop)
    sizes = [len(y) for _, y in dl]
    assert sizes == expect and len(dl) == len(expect)
    if not drop:
        assert np.concatenate([y.numpy() for _, y in dl]).tolist() == list(range(n))


def test_shuffle_is_a_permutation_and_reproducible_with_seed():
    ds = make_ds(20)
    fastnn.manual_seed(3)
    first = np.concatenate([y.numpy() for _, y in DataLoader(ds, batch_size=4, shuffle=True)])
    fastnn.manual_seed(3)
    again = np.concatenate([y.numpy() for _, y in DataLoader(ds, batch_size=4, shuffle=True)])
    assert sorted(first.tolist()) == list(range(20))
    assert first.tolist() == again.tolist()
    assert first.tolist() != list(range(20))
    dl = DataLoader(ds, batch_size=20, shuffle=True)
    e1, e2 = next(iter(dl))[1].tolist(), next(iter(dl))[1].tolist()
    assert e1 != e2  # a new order each epoch
    for x, y in DataLoader(ds, batch_size=5, shuffle=True):
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())  # rows stay paired


def test_generic_dataset_and_collate():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.array([i, i * i], np.float32), "y": i}

    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    assert batches[0]["x"].shape == (2, 2) and batches[0]["y"].tolist() == [0, 1]
    assert batches[0]["y"].dtype == fastnn.int64


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(make_ds(), batch_size=0)


def test_subset_and_random_split():
    ds = make_ds(10)
    a, b = random_split(ds, [7, 3], generator=fastnn.Generator().manual_seed(0))
    got = sorted([int(a[i][1].item()) for i in range(len(a))] + [int(b[i][1].item()) for i in range(len(b))])
    assert got == list(range(10))
    assert len(Subset(ds, [1, 2])) == 2
    with pytest.raises(ValueError):
        random_split(ds, [5, 4])


def test_load_iris():
    iris = load_iris()
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float32
    assert iris.target.shape == (150,) and iris.target.dtype == np.int64
    assert np.bincount(iris.target).tolist() == [50, 50, 50]
    # well-known column means of Fisher's data (cm)
    np.testing.assert_allclose(iris.data.mean(0), [5.8433, 3.0573, 3.758, 1.1993], atol=2e-3)
    assert len(iris.target_names) == 3
    # setosa petals are short: the classic linearly separable class
    assert iris.data[iris.target == 0, 2].max() < iris.data[iris.target != 0, 2].min()


def test_load_digits():
    d = load_digits()
    assert d.data.shape == (1797, 64) and d.target.shape == (1797,)
    assert d.data.min() == 0 and d.data.max() == 16
    assert np.all(d.data == np.round(d.data))
    assert np.bincount(d.target).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_stratified_split():
    target = np.repeat([0, 1, 2], [50, 30, 20])
    train, test = stratified_split(target, test_fraction=0.2, seed=1)
    assert len(set(train) & set(test)) == 0
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    assert np.bincount(target[test]).tolist() == [10, 6, 4]
    again = stratified_split(target, test_fraction=0.2, seed=1)
    assert again[0].tolist() == train.tolist() and again[1].tolist() == test.tolist()
    other = stratified_split(target, test_fraction=0.2, seed=2)
    assert other[1].tolist() != test.tolist()
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(target, test_fraction=1.5)
