"""The n-gram references of the character models' zoo rows are what add-k n-gram models measure on the split."""
import numpy as np
import pytest

from fastnn.zoo.targets import shakespeare_target, mnist_lenet_target, meets
from fastnn.zoo.text import shakespeare_split


def _ngram_nats(train, test, order, vocab_size, k=0.1):
    """Held-out nats/char of an add-k smoothed model over the previous order-1 characters (NumPy counts)."""
    def codes(ids):
        c = np.zeros(len(ids) - order + 1, np.int64)
        for j in range(order):
            c = c * vocab_size + ids[j:len(ids) - order + 1 + j]
        return c
    full = np.bincount(codes(train), minlength=vocab_size ** order).astype(np.float64)
    context = full.reshape(-1, vocab_size).sum(axis=1)
    t = codes(test)
    p = (full[t] + k) / (context[t // vocab_size] + k * vocab_size)
    return float(-np.log(p).mean())


@pytest.mark.parametrize("quick, full, order", [(False, False, 2), (True, False, 1)])
def test_shakespeare_targets_are_the_measured_ngram_models(quick, full, order):
    _, train, test = shakespeare_split(False, 0)
    train, test = np.asarray(train, np.int64), np.asarray(test, np.int64)
    measured = _ngram_nats(train, test, order, int(max(train.max(), test.max())) + 1)
    assert shakespeare_target(quick, full)["value"] == pytest.approx(measured, abs=0.01)
    assert shakespeare_target(False, True)["value"] == 1.67  # the data README's 5-gram figure


def test_lenet_mnist_target_follows_the_run_length():
    # measured this session: 2 default epochs 97.8%, the full 15 epochs 99.24%, quick ~0.60 (seeds 0-2)
    row = lambda quick, full, value: {"value": value, "target": mnist_lenet_target(quick, full)}
    assert meets(row(False, True, 0.9924)) and not meets(row(False, True, 0.978))
    assert meets(row(False, False, 0.978)) and not meets(row(False, False, 0.90))
    assert meets(row(True, False, 0.60)) and not meets(row(True, False, 0.2))
