"""x.add_(y), sub_, mul_, div_ and +=, -=, *=, /= against PyTorch: numbers, tensors of the same shape (written
straight into x's memory), broadcast and mixed-dtype operands (the general path), aliasing views, division by
zero, and the errors PyTorch raises."""
import warnings

import numpy as np
import pytest
import torch

import fastnn

OPS = ["add_", "sub_", "mul_", "div_"]
AUGMENTED = {"add_": "__iadd__", "sub_": "__isub__", "mul_": "__imul__", "div_": "__itruediv__"}


def _pair(array):
    return fastnn.tensor(array.copy()), torch.tensor(array.copy())


def _same(f, t):
    assert f.dtype.itemsize == t.element_size() and str(t.dtype).endswith(str(f.dtype).split(".")[-1])
    np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("augmented", [False, True])
@pytest.mark.parametrize("other", ["number", "int", "same shape", "broadcast row", "zero-d", "float64 tensor"])
def test_in_place_arithmetic_matches_pytorch(op, augmented, other, rng):
    a = rng.standard_normal((4, 5)).astype(np.float32)
    values = {"number": 0.37, "int": 3, "same shape": rng.standard_normal((4, 5)).astype(np.float32),
              "broadcast row": rng.standard_normal(5).astype(np.float32),
              "zero-d": np.array(1.5, np.float32), "float64 tensor": rng.standard_normal((4, 5))}
    v = values[other]
    fa, ta = _pair(a)
    fv, tv = (v, v) if not isinstance(v, np.ndarray) else _pair(v)
    name = AUGMENTED[op] if augmented else op
    keep = fa._data
    f_out, t_out = getattr(fa, name)(fv), getattr(ta, name)(tv)
    assert f_out is fa and fa._data is keep   # written in place: same tensor, same memory
    _same(fa, ta)
    _same(f_out, t_out)


def test_views_see_the_write_and_aliasing_operands_are_read_before_written():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    fb, tb = _pair(base)
    fb[1].mul_(2.0), tb[1].mul_(2.0)
    _same(fb, tb)
    fb[1:].add_(fb[:-1]), tb[1:].add_(tb[:-1].clone())   # PyTorch needs the clone: its kernel may read after write
    _same(fb, tb)
    fx, tx = _pair(base)
    fx.mul_(fx), tx.mul_(tx)
    _same(fx, tx)


def test_division_by_zero_gives_inf_and_nan_without_warnings():
    fa, ta = _pair(np.array([1.0, -1.0, 0.0], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fa.div_(0.0)
        fa.mul_(float("inf"))
    ta.div_(0.0)
    ta.mul_(float("inf"))
    _same(fa, ta)


def test_integer_tensors_and_graph_rules_are_as_in_pytorch():
    fi = fastnn.tensor([1, 2, 3])
    fi.add_(2)
    assert fi.tolist() == [3, 4, 5] and fi.dtype == fastnn.int64
    with pytest.raises(RuntimeError):
        fi.mul_(0.5)   # float result into an integer tensor
    leaf = fastnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.mul_(2.0)
    with fastnn.no_grad():
        leaf.mul_(2.0)
    assert leaf.tolist() == [2.0, 2.0, 2.0] and leaf.requires_grad
    w = fastnn.ones(3, requires_grad=True)
    y = w * 3.0
    y.add_(fastnn.ones(3))     # in the graph: recorded, not written around the graph
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]
