"""Tensor dtype rules, conversions, memory sharing, and clear errors for bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
import fastnn.nn.functional as F


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data,dtype", [
    ([1.0, 2.0], fastnn.float32),
    (2.5, fastnn.float32),
    ([1, 2], fastnn.int64),
    ([True, False], fastnn.bool),
    (np.array([1.0]), fastnn.float64),
    (np.array([1.0], np.float32), fastnn.float32),
    (np.array([1], np.int32), fastnn.int32),  # PyTorch keeps a NumPy array's dtype
    (np.array([1], np.uint8), fastnn.uint8),
    (np.array([1.0], np.float16), fastnn.float16),
    (np.array([1], np.uint16), fastnn.int64),  # no uint16 tensors here
])
def test_tensor_dtype_rules(data, dtype):
    assert fastnn.tensor(data).dtype == dtype


def test_factory_dtypes():
    assert fastnn.zeros(2, 3).dtype == fastnn.float32
    assert fastnn.ones((2,), dtype=fastnn.float64).dtype == fastnn.float64
    assert fastnn.randn(2).dtype == fastnn.float32
    assert fastnn.rand(2).dtype == fastnn.float32
    assert fastnn.arange(3).dtype == fastnn.int64
    assert fastnn.arange(0, 1, 0.25).dtype == fastnn.float32
    assert fastnn.randint(0, 5, (3,)).dtype == fastnn.int64
    assert fastnn.full((2,), 3).dtype == fastnn.int64
    assert fastnn.full((2,), 3.0).dtype == fastnn.float32
    assert fastnn.eye(3).dtype == fastnn.float32
    assert fastnn.linspace(0, 1, 5).dtype == fastnn.float32
    np.testing.assert_allclose(fastnn.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])


def test_arithmetic_dtype_promotion():
    i = fastnn.tensor([1, 2])
    f = fastnn.tensor([1.0, 2.0])
    d = fastnn.tensor(np.array([1.0, 2.0]))
    assert (i / i).dtype == fastnn.float32          # int/int true division
    assert (i / 2).dtype == fastnn.float32
    assert (i * 0.5).dtype == fastnn.float32
    assert (i + i).dtype == fastnn.int64
    assert (i ** 2).dtype == fastnn.int64
    assert (i ** 0.5).dtype == fastnn.float32
    assert (f * 2.0).dtype == fastnn.float32
    assert (f * np.float64(2.0)).dtype == fastnn.float32  # NumPy scalars act as Python numbers
    assert (f + d).dtype == fastnn.float64
    assert (d * 2.0).dtype == fastnn.float64
    assert (i + f).dtype == fastnn.float32
    assert i.exp().dtype == fastnn.float32 and i.sqrt().dtype == fastnn.float32
    assert (f > 1).dtype == fastnn.bool
    assert (i // 2).dtype == fastnn.int64


def test_conversions():
    x = fastnn.tensor([1.7, -2.2])
    assert x.double().dtype == fastnn.float64
    assert x.long().tolist() == [1, -2]
    assert x.to(fastnn.float64).float().dtype == fastnn.float32
    assert x.to("cpu") is x
    assert x.type_as(fastnn.tensor([1])).dtype == fastnn.int64
    assert x.bool().tolist() == [True, True]
    with pytest.raises(ValueError, match="CPU"):
        x.to("cuda")
    with pytest.raises(TypeError, match="dtype"):
        x.to(np.complex128)


def test_item_tolist_numpy_sharing():
    x = fastnn.tensor([[1.5]])
    assert x.item() == 1.5 and isinstance(x.item(), float)
    assert fastnn.tensor([3]).item() == 3 and isinstance(fastnn.tensor([3]).item(), int)
    with pytest.raises(ValueError, match="one-element"):
        fastnn.ones(2).item()
    assert fastnn.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    a = np.zeros(3, np.float32)
    t = fastnn.from_numpy(a)
    t.numpy()[0] = 5
    assert a[0] == 5
    a[1] = 7
    assert t.tolist()[1] == 7
    with pytest.raises(RuntimeError, match="detach"):
        fastnn.ones(2, requires_grad=True).numpy()


def test_views_share_memory_like_pytorch():
    x = fastnn.arange(6).reshape(2, 3)
    x[0][1] = 100     # basic indexing returns a view
    assert x.tolist()[0][1] == 100
    x.view(-1)[5] = -1
    assert x.tolist()[1][2] == -1


def test_max_dim_returns_named_pair():
    x = fastnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    out = x.min(0, keepdim=True)
    assert out.values.shape == (1, 3) and out.indices.tolist() == [[0, 1, 0]]
    assert fastnn.max(x).item() == 7.0
    assert fastnn.max(x, fastnn.zeros(2, 3) + 3).tolist() == [[3, 5, 3], [7, 3, 7]]


def test_reduction_values_match_numpy():
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = fastnn.tensor(a)
    np.testing.assert_allclose(x.sum((0, 2)).numpy(), a.sum((0, 2)))
    np.testing.assert_allclose(x.mean(-1, keepdim=True).numpy(), a.mean(-1, keepdims=True))
    np.testing.assert_allclose(x.prod(1).numpy(), a.prod(1))
    np.testing.assert_allclose(x.cumsum(2).numpy(), a.cumsum(2))
    np.testing.assert_array_equal(x.argmax(1).numpy(), a.argmax(1))
    assert fastnn.tensor([True, True, False]).sum().item() == 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_broadcast_gradients_sum_back_to_input_shape(shape, data):
    # b gets a random broadcastable shape: a suffix of shape with some sizes set to 1
    k = data.draw(st.integers(0, len(shape)))
    bshape = [s if data.draw(st.booleans()) else 1 for s in shape[len(shape) - k:]]
    rng = np.random.default_rng(0)
    a = fastnn.tensor(rng.standard_normal(shape), requires_grad=True)
    b = fastnn.tensor(rng.standard_normal(bshape), requires_grad=True)
    (a * b).sum().backward()
    bn = b.detach().numpy()
    an = a.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(bn, an.shape))
    lead = tuple(range(len(shape) - k))
    expect = an.sum(axis=lead).reshape([s if s == 1 else s for s in shape[len(shape) - k:]]) if lead else an
    ones_axes = tuple(i for i, s in enumerate(bshape) if s == 1 and shape[len(shape) - k + i] != 1)
    expect = expect.sum(axis=ones_axes, keepdims=True) if ones_axes else expect
    np.testing.assert_allclose(b.grad.numpy(), np.reshape(expect, bshape))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(0, 10))
def test_permute_reshape_roundtrip_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    perm = tuple(rng.permutation(len(shape)))
    x = fastnn.tensor(rng.standard_normal(shape), requires_grad=True)
    w = rng.standard_normal(int(np.prod(shape)))
    (x.permute(perm).reshape(-1) * fastnn.tensor(w)).sum().backward()
    expect = np.transpose(w.reshape([shape[p] for p in perm]), np.argsort(perm))
    np.testing.assert_allclose(x.grad.numpy(), expect)


# ---------------------------------------------------------------- bad input
def test_broadcasting_error_is_value_error():
    # PyTorch raises RuntimeError; fastnn's class is both, so either `except` catches it
    with pytest.raises(RuntimeError, match="broadcast"):
        fastnn.ones(2) + fastnn.ones(3)
    with pytest.raises(ValueError, match="broadcast"):
        fastnn.ones(2) + fastnn.ones(3)
    with pytest.raises(ValueError, match="cannot be multiplied"):
        fastnn.ones(2, 3) @ fastnn.ones(2, 3)
    with pytest.raises(ValueError, match="1 dimension"):
        fastnn.matmul(fastnn.tensor(1.0), fastnn.ones(2))
    with pytest.raises(ValueError, match="bmm"):
        fastnn.bmm(fastnn.ones(2, 3), fastnn.ones(3, 2))
    with pytest.raises(TypeError, match="dtype"):
        fastnn.ones(2, 2) @ fastnn.ones(2, 2, dtype=fastnn.float64)


def test_shape_op_errors():
    x = fastnn.ones(2, 3)
    with pytest.raises(ValueError, match="shape"):
        x.reshape(4, 2)
    with pytest.raises(IndexError, match="dim"):
        x.sum(2)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0)
    with pytest.raises(ValueError, match="cat"):
        fastnn.cat([x, fastnn.ones(3, 3)], 1)
    with pytest.raises(ValueError, match="stack"):
        fastnn.stack([x, fastnn.ones(3, 2)])
    with pytest.raises(TypeError, match="Tensor"):
        fastnn.cat([x, np.ones((2, 3))])
    with pytest.raises(ValueError, match="expand"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="split"):
        x.split([1, 1], 1)


def test_indexing_errors():
    x = fastnn.ones(2, 3, requires_grad=True)
    with pytest.raises(IndexError):
        x[5]
    with pytest.raises(IndexError):
        fastnn.ones(3)[fastnn.tensor([0, 3])]
    with pytest.raises(IndexError, match="int64 or bool"):
        x[fastnn.tensor([0.0])]
    with pytest.raises(IndexError, match="gather"):
        x.gather(1, fastnn.tensor([[0, 3]]))
    with pytest.raises(TypeError, match="index"):
        x.gather(1, fastnn.tensor([[0.0]]))
    with pytest.raises(TypeError, match="mask"):
        x.masked_fill(fastnn.ones(2, 3), 0.0)
    with pytest.raises(ValueError, match="mask"):
        x.masked_fill(fastnn.ones(2, dtype=fastnn.bool), 0.0)
    with pytest.raises(TypeError, match="condition"):
        fastnn.where(fastnn.ones(2, 3), x, x)


def test_float_only_ops_reject_integers():
    i = fastnn.tensor([1, 2])
    with pytest.raises(TypeError, match="floating"):
        i.mean()
    with pytest.raises(TypeError, match="floating"):
        i.softmax(0)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(fastnn.ones(2), approximate="fast")


def test_unsupported_data():
    with pytest.raises(TypeError):
        fastnn.tensor(["a"])
    with pytest.raises(TypeError):
        fastnn.ones(2) + "x"
    with pytest.raises(TypeError):
        fastnn.tensor(np.array([1 + 2j]))
