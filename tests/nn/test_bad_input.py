"""nn.functional rejects bad input with a clear TypeError/ValueError/IndexError naming the argument."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

X = fastnn.randn(3, 4)
Y = fastnn.tensor([0, 1, 1])

CASES = [
    ("ce class out of range", lambda: F.cross_entropy(X, fastnn.tensor([0, 4, 1])), IndexError, "target"),
    ("ce negative class", lambda: F.cross_entropy(X, fastnn.tensor([0, -1, 1])), IndexError, "target"),
    ("ce reduction", lambda: F.cross_entropy(X, Y, reduction="avg"), ValueError, "reduction"),
    ("ce target shape", lambda: F.cross_entropy(X, fastnn.tensor([0, 1])), ValueError, "target shape"),
    ("ce spatial target", lambda: F.cross_entropy(fastnn.randn(2, 3, 4), fastnn.zeros(2, 5, dtype=fastnn.int64)),
     ValueError, "target shape"),
    ("ce prob target shape", lambda: F.cross_entropy(X, fastnn.ones(3, 5)), ValueError, "target shape"),
    ("ce bool target", lambda: F.cross_entropy(X, fastnn.tensor([True, False, True])), TypeError, "target"),
    ("ce weight shape", lambda: F.cross_entropy(X, Y, weight=fastnn.ones(3)), ValueError, "weight"),
    ("ce smoothing", lambda: F.cross_entropy(X, Y, label_smoothing=1.5), ValueError, "label_smoothing"),
    ("ce int input", lambda: F.cross_entropy(fastnn.tensor([[1, 2]]), fastnn.tensor([0])), TypeError, "input"),
    ("ce ndarray target", lambda: F.cross_entropy(X, np.array([0, 1, 1])), TypeError, "target"),
    ("nll class out of range", lambda: F.nll_loss(X, fastnn.tensor([0, 4, 1])), IndexError, "target"),
    ("nll reduction", lambda: F.nll_loss(X, Y, reduction="x"), ValueError, "reduction"),
    ("mse reduction", lambda: F.mse_loss(X, X, reduction="x"), ValueError, "reduction"),
    ("mse int input", lambda: F.mse_loss(fastnn.tensor([1, 2]), fastnn.tensor([1, 2])), TypeError, "input"),
    ("l1 reduction", lambda: F.l1_loss(X, X, reduction="x"), ValueError, "reduction"),
    ("huber reduction", lambda: F.huber_loss(X, X, reduction="x"), ValueError, "reduction"),
    ("huber delta", lambda: F.huber_loss(X, X, delta=0.0), ValueError, "delta"),
    ("smooth_l1 beta", lambda: F.smooth_l1_loss(X, X, beta=-1.0), ValueError, "beta"),
    ("bce input range", lambda: F.binary_cross_entropy(X, fastnn.zeros(3, 4)), ValueError, "input"),
    ("bce target range", lambda: F.binary_cross_entropy(X.sigmoid(), fastnn.ones(3, 4) * 2), ValueError, "target"),
    ("bce shape", lambda: F.binary_cross_entropy(X.sigmoid(), fastnn.zeros(3)), ValueError, "target shape"),
    ("bce logits shape", lambda: F.binary_cross_entropy_with_logits(X, fastnn.zeros(4, 3)), ValueError, "target shape"),
    ("bce logits int target", lambda: F.binary_cross_entropy_with_logits(X, fastnn.zeros(3, 4, dtype=fastnn.int64)),
     TypeError, "target"),
    ("linear ndarray", lambda: F.linear(np.ones((2, 4)), fastnn.ones(3, 4)), TypeError, "input"),
    ("linear weight rank", lambda: F.linear(X, fastnn.ones(4)), ValueError, "weight"),
    ("linear bias shape", lambda: F.linear(X, fastnn.ones(2, 4), fastnn.ones(3)), ValueError, "bias"),
    ("layer_norm weight", lambda: F.layer_norm(X, (4,), fastnn.ones(3)), ValueError, "weight"),
    ("batch_norm running_mean", lambda: F.batch_norm(X, fastnn.zeros(3), fastnn.ones(4)), ValueError, "running_mean"),
    ("batch_norm eval without stats", lambda: F.batch_norm(X, None, None, training=False), ValueError, "running_mean"),
    ("embedding weight rank", lambda: F.embedding(fastnn.tensor([0]), fastnn.ones(4)), ValueError, "weight"),
    ("embedding index", lambda: F.embedding(fastnn.tensor([-1]), fastnn.ones(4, 2)), IndexError, "input"),
    ("one_hot negative", lambda: F.one_hot(fastnn.tensor([-1, 2])), IndexError, "one_hot"),
    ("one_hot float", lambda: F.one_hot(fastnn.tensor([1.0])), TypeError, "one_hot"),
    ("dropout p", lambda: F.dropout(X, 1.5), ValueError, "p"),
    ("gelu approximate", lambda: F.gelu(X, approximate="x"), ValueError, "approximate"),
    ("softmax dim", lambda: X.softmax(2), IndexError, "dim"),
    ("batchnorm channels", lambda: nn.BatchNorm1d(5)(X), ValueError, "channels"),
    ("sequential member", lambda: nn.Sequential(nn.Linear(4, 2), 3), TypeError, "Module"),
    ("embedding padding_idx", lambda: nn.Embedding(3, 2, padding_idx=5), ValueError, "padding_idx"),
]


@pytest.mark.parametrize("name,fn,exc,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_clear_error(name, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_where_with_two_python_values():
    out = fastnn.where(fastnn.tensor([True, False]), 1.0, 0.0)
    assert out.dtype == fastnn.float32 and out.tolist() == [1.0, 0.0]


def test_nan_and_empty_inputs_do_not_crash():
    assert np.isnan(F.cross_entropy(fastnn.tensor([[np.nan, 1.0]]), fastnn.tensor([0])).item())
    assert np.isnan(F.cross_entropy(fastnn.zeros(0, 3), fastnn.zeros(0, dtype=fastnn.int64)).item())
    assert fastnn.zeros(0, 3).softmax(1).shape == (0, 3)
    assert np.isnan(fastnn.tensor([[-np.inf, -np.inf]]).softmax(1).numpy()).all()
