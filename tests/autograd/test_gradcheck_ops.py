"""Every differentiable operation against float64 central differences (small shapes)."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.autograd import gradcheck


def t(*shape, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed + 17 * len(shape) + sum(shape))
    if low is not None:
        a = rng.uniform(low, high, shape)
    else:
        a = rng.standard_normal(shape)
    return fastnn.tensor(a, requires_grad=True)


def away_from(x, points, gap=0.05):
    """Move elements off kinks (relu at 0, clamp bounds, ...) where differences are meaningless."""
    a = x.detach().numpy()
    for p in points:
        close = np.abs(a - p) < gap
        a[close] = p + np.where(a[close] >= p, gap, -gap) * 2
    return x


# ---------------------------------------------------------------- arithmetic
@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((2, 3), ())])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_broadcasting(op, sa, sb):
    a, b = t(*sa), t(*sb, seed=1)
    if op == "div":
        b = fastnn.tensor(np.sign(b.detach().numpy()) * (np.abs(b.detach().numpy()) + 0.5), requires_grad=True)
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
          "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    assert gradcheck(fn, (a, b))


def test_scalar_operands_and_reflected():
    a = t(3, 2)
    assert gradcheck(lambda x: 2.0 - x * 3 + 1 / (x * x + 1) - x / 4.0, (a,))
    assert gradcheck(lambda x: -x + (x ** 2) * 0.5, (a,))


def test_pow_tensor_exponent_and_rpow():
    a = t(3, 4, low=0.5, high=2.0)
    b = t(3, 4, low=-1.5, high=1.5, seed=2)
    assert gradcheck(lambda x, y: x ** y, (a, b))
    assert gradcheck(lambda y: 2.0 ** y, (b,))
    assert gradcheck(lambda x: x ** 3, (t(2, 3),))
    assert gradcheck(lambda x: x ** -0.5, (a,))


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                                   ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
                                   ((2, 3, 4), (4,))])
def test_matmul(sa, sb):
    assert gradcheck(lambda x, y: x @ y, (t(*sa), t(*sb, seed=3)))


def test_mm_bmm():
    assert gradcheck(fastnn.mm, (t(2, 3), t(3, 4)))
    assert gradcheck(fastnn.bmm, (t(2, 3, 4), t(2, 4, 2)))


def test_maximum_minimum():
    a, b = t(3, 4), t(3, 4, seed=5)
    assert gradcheck(fastnn.maximum, (a, b))
    assert gradcheck(fastnn.minimum, (a, b))


# ---------------------------------------------------------------- elementwise
POS = dict(low=0.3, high=2.0)
UNARY = {
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), POS),
    "log1p": (lambda x: x.log1p(), POS),
    "sqrt": (lambda x: x.sqrt(), POS),
    "rsqrt": (lambda x: x.rsqrt(), POS),
    "sin": (lambda x: x.sin(), {}),
    "cos": (lambda x: x.cos(), {}),
    "tanh": (lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), {}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), {}),
    "gelu": (lambda x: F.gelu(x), {}),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), {}),
    "silu": (lambda x: F.silu(x), {}),
    "softplus": (lambda x: F.softplus(x), {}),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0), {}),
    "elu": (lambda x: F.elu(x, alpha=0.7), {}),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), {}),
    "clamp_min": (lambda x: fastnn.clamp(x, min=0.1), {}),
    "abs": (lambda x: x.abs(), {}),
    "neg": (lambda x: -x, {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    fn, rng = UNARY[name]
    x = t(3, 5, **rng) if rng else t(3, 5) * 2.0
    x = fastnn.tensor(x.detach().numpy(), requires_grad=True)
    away_from(x, [0.0, -0.5, 0.7, 0.1, 1.5, -1.5])
    assert gradcheck(fn, (x,))


def test_softplus_threshold_region():
    x = fastnn.tensor(np.array([-30.0, -1.0, 0.5, 19.0, 25.0]), requires_grad=True)
    assert gradcheck(F.softplus, (x,))


# ---------------------------------------------------------------- reductions
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean(dim, keepdim):
    x = t(2, 3, 4)
    assert gradcheck(lambda a: a.sum(dim, keepdim), (x,))
    assert gradcheck(lambda a: a.mean(dim, keepdim), (x,))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_dim(dim, keepdim):
    x = t(3, 4, 2)
    v, i = x.max(dim, keepdim)
    ref = np.max(x.detach().numpy(), axis=dim, keepdims=keepdim)
    np.testing.assert_array_equal(v.detach().numpy(), ref)
    assert i.dtype == fastnn.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.numpy(), np.argmax(x.detach().numpy(), axis=dim).reshape(ref.shape))
    assert gradcheck(lambda a: a.max(dim, keepdim)[0], (x,))
    assert gradcheck(lambda a: a.min(dim=dim, keepdim=keepdim).values, (x,))
    assert gradcheck(lambda a: a.amax(dim, keepdim), (x,))


def test_max_all_and_ties():
    x = t(3, 4)
    assert gradcheck(lambda a: a.max(), (x,))
    assert gradcheck(lambda a: a.min(), (x,))
    tie = fastnn.tensor([1.0, 3.0, 3.0], requires_grad=True)
    tie.max().backward()
    np.testing.assert_allclose(tie.grad.numpy(), [0, 0.5, 0.5])


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_var_std(dim, correction):
    x = t(3, 4, 2)
    assert gradcheck(lambda a: a.var(dim, correction=correction), (x,))
    assert gradcheck(lambda a: a.std(dim, keepdim=True, correction=correction), (x,))
    ref = np.var(x.detach().numpy(), axis=dim, ddof=correction)
    np.testing.assert_allclose(x.var(dim, correction=correction).detach().numpy(), ref)


def test_var_unbiased_flag():
    x = t(5, 3)
    np.testing.assert_allclose(x.var(0, unbiased=False).detach().numpy(), np.var(x.detach().numpy(), 0))
    np.testing.assert_allclose(x.std().detach().numpy(), np.std(x.detach().numpy(), ddof=1))
    with pytest.raises(TypeError, match="unbiased or correction"):
        x.var(0, True, correction=0)


@pytest.mark.parametrize("dim", [0, -1, (0, 1)])
def test_logsumexp(dim):
    x = t(3, 4)
    assert gradcheck(lambda a: a.logsumexp(dim), (x,))
    assert gradcheck(lambda a: a.logsumexp(dim, keepdim=True), (x,))


def test_logsumexp_large_values():
    x = fastnn.tensor(np.array([[1000.0, 1000.0], [-1000.0, -1e9]]), requires_grad=True)
    np.testing.assert_allclose(x.logsumexp(1).detach().numpy(), [1000 + np.log(2), -1000.0])


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod(dim):
    x = t(3, 4)
    assert gradcheck(lambda a: a.prod(dim), (x,))
    z = fastnn.tensor(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]]), requires_grad=True)
    assert gradcheck(lambda a: a.prod(dim), (z,))


def test_prod_keepdim():
    assert gradcheck(lambda a: a.prod(1, keepdim=True), (t(3, 4),))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim):
    assert gradcheck(lambda a: a.cumsum(dim), (t(3, 4),))


@pytest.mark.parametrize("p", [1, 2, 3, float("inf")])
def test_norm(p):
    x = t(3, 4)
    away_from(x, [0.0])
    assert gradcheck(lambda a: a.norm(p), (x,))
    assert gradcheck(lambda a: a.norm(p, dim=1), (x,))
    ref = np.linalg.norm(x.detach().numpy(), ord=p, axis=1)
    np.testing.assert_allclose(x.norm(p, dim=1).detach().numpy(), ref)


# ---------------------------------------------------------------- shapes
SHAPE_OPS = {
    "reshape": lambda a: a.reshape(4, 6),
    "view": lambda a: a.view(-1, 3),
    "permute": lambda a: a.permute(2, 0, 1),
    "transpose": lambda a: a.transpose(0, 2),
    "T": lambda a: a.T,
    "expand": lambda a: a[:, :1].expand(2, 3, 4) * a,
    "expand_new_dims": lambda a: a.expand(5, 2, 3, 4),
    "squeeze_unsqueeze": lambda a: a.unsqueeze(1).unsqueeze(-1).squeeze(),
    "squeeze_dim": lambda a: a.unsqueeze(0).squeeze(0),
    "flatten": lambda a: a.flatten(1),
    "repeat": lambda a: a.repeat(2, 1, 3),
    "repeat_new_dims": lambda a: a.repeat(2, 1, 1, 2),
    "flip": lambda a: fastnn.flip(a, (0, 2)),
    "flip_method": lambda a: a.flip(1),
    "split": lambda a: a.split(1, 1)[1] * 2 + a.split([1, 2], 1)[1].sum(1, keepdim=True),
    "chunk": lambda a: a.chunk(2, -1)[1],
    "unbind": lambda a: a.unbind(1)[2],
    "contiguous": lambda a: a.transpose(0, 1).contiguous(),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    assert gradcheck(SHAPE_OPS[name], (t(2, 3, 4),))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim):
    a, b, c = t(2, 3), t(2, 3, seed=1), t(2, 3, seed=2)
    assert gradcheck(lambda x, y, z: fastnn.cat([x, y, z], dim), (a, b, c))
    assert gradcheck(lambda x, y, z: fastnn.stack([x, y, z], dim), (a, b, c))


def test_cat_uneven_and_constant():
    a, b = t(2, 3), t(2, 1, seed=1)
    const = fastnn.ones(2, 2, dtype=fastnn.float64)
    assert gradcheck(lambda x, y: fastnn.cat([x, const, y], 1), (a, b))


# ---------------------------------------------------------------- indexing
INDEX = {
    "int": lambda a: a[1],
    "neg_int": lambda a: a[-1, 2],
    "slice": lambda a: a[1:, ::2],
    "neg_step": lambda a: a[::-1, 3:0:-2],
    "ellipsis_none": lambda a: a[..., None, 1],
    "int_tensor_repeated": lambda a: a[fastnn.tensor([0, 2, 0, 0])],
    "int_tensor_2d": lambda a: a[:, fastnn.tensor([[1, 1], [3, 0]])],
    "pair_of_tensors": lambda a: a[fastnn.tensor([0, 1, 1]), fastnn.tensor([3, 3, 0])],
    "bool_mask": lambda a: a[a.detach() > 0],
    "bool_rows": lambda a: a[fastnn.tensor([True, False, True])],
    "list": lambda a: a[[2, 2, 1]],
}


@pytest.mark.parametrize("name", sorted(INDEX))
def test_indexing(name):
    assert gradcheck(INDEX[name], (t(3, 4),))


def test_repeated_index_accumulates():
    x = fastnn.zeros(4, requires_grad=True)
    x[fastnn.tensor([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 3, 0, 1])


def test_gather_where_masked_fill():
    x = t(3, 4)
    idx = fastnn.tensor([[0, 0], [3, 1], [2, 2]])
    assert gradcheck(lambda a: a.gather(1, idx), (x,))
    assert gradcheck(lambda a: a.gather(0, fastnn.tensor([[0, 2, 2, 1]])), (x,))
    y = t(3, 4, seed=4)
    cond = x.detach() > 0
    assert gradcheck(lambda a, b: fastnn.where(cond, a, b), (x, y))
    assert gradcheck(lambda a, b: fastnn.where(cond[:, :1], a, b[0]), (x, y))
    assert gradcheck(lambda a: fastnn.where(cond, a, 0.0), (x,))
    assert gradcheck(lambda a: a.masked_fill(cond, -1.0), (x,))
    assert gradcheck(lambda a: a.masked_fill(fastnn.tensor([True, False, False, True]), 5.0), (x,))


def test_index_select():
    assert gradcheck(lambda a: a.index_select(1, fastnn.tensor([3, 0, 3])), (t(2, 4),))


# ---------------------------------------------------------------- softmax
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_log_softmax(dim):
    x = t(2, 3, 4)
    assert gradcheck(lambda a: a.softmax(dim), (x,))
    assert gradcheck(lambda a: a.log_softmax(dim), (x,))
    e = np.exp(x.detach().numpy())
    np.testing.assert_allclose(x.softmax(dim).detach().numpy(), e / e.sum(dim, keepdims=True), rtol=1e-12)


def test_softmax_noncontiguous_input():
    x = t(4, 3)
    assert gradcheck(lambda a: F.softmax(a.T, dim=1), (x,))
    assert gradcheck(lambda a: F.log_softmax(a.T, dim=0), (x,))


def test_cast_roundtrip_gradient():
    x = t(2, 3)
    assert gradcheck(lambda a: a.to(fastnn.float64) * 2 + a.double(), (x,))
    x.float().sum().backward()
    assert x.grad.dtype == fastnn.float64


def test_subgradients_at_kinks_match_pytorch():
    # values PyTorch defines at non-differentiable points (checked against torch 2.x)
    x = fastnn.tensor([0.0, 6.0, -1.0, 1.0, 7.0], requires_grad=True)
    F.relu6(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1, 0])
    x.grad = None
    F.hardtanh(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 0, 0, 0])
    x.grad = None
    x.clamp(0, 6).sum().backward()  # clamp itself keeps the bounds
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 0, 1, 0])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, -1, 1, 1])
    x.grad = None
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0, 1, 1])
    z = fastnn.zeros(2, 3, requires_grad=True)
    z.norm().backward()
    np.testing.assert_array_equal(z.grad.numpy(), 0)
    z.grad = None
    F.normalize(z, dim=1).sum().backward()  # zero rows: 1/eps like PyTorch, not NaN
    np.testing.assert_allclose(z.grad.numpy(), 1e12, rtol=1e-6)
    y = fastnn.tensor([0.0, 1.0], requires_grad=True)
    fastnn.maximum(y, fastnn.zeros(2)).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 1.0])


def test_norm_keepdim_and_tuple_dims():
    x = t(2, 3, 2)
    assert gradcheck(lambda a: a.norm(dim=(0, 2), keepdim=True), (x,))
    np.testing.assert_allclose(x.norm(dim=(0, 2)).detach().numpy(),
                               np.sqrt((x.detach().numpy() ** 2).sum((0, 2))))
