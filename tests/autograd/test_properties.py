"""Randomised shapes (hypothesis): matmul broadcasting, reductions over random dims, softmax/cross-entropy."""
import numpy as np
from hypothesis import given, settings, strategies as st

import fastnn
import fastnn.nn.functional as F
from fastnn.autograd import gradcheck

SETTINGS = settings(max_examples=25, deadline=None)
dim = st.integers(1, 3)


@SETTINGS
@given(st.lists(st.sampled_from([1, 2]), max_size=2), st.lists(st.sampled_from([1, 2]), max_size=2),
       dim, dim, dim, st.booleans(), st.booleans())
def test_matmul_broadcast_batches(batch_a, batch_b, n, k, m, vec_a, vec_b):
    rng = np.random.default_rng(0)
    sa = (k,) if vec_a else tuple(batch_a) + (n, k)
    sb = (k,) if vec_b else tuple(batch_b) + (k, m)
    a = fastnn.tensor(rng.standard_normal(sa), requires_grad=True)
    b = fastnn.tensor(rng.standard_normal(sb), requires_grad=True)
    out = a @ b
    np.testing.assert_allclose(out.detach().numpy(), np.matmul(a.detach().numpy(), b.detach().numpy()), rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, (a, b))


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_reductions_over_random_dims(shape, data):
    nd = len(shape)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
    keepdim = data.draw(st.booleans())
    x = fastnn.tensor(np.random.default_rng(len(shape)).standard_normal(shape), requires_grad=True)
    a = x.detach().numpy()
    axes = tuple(d % nd for d in dims)
    np.testing.assert_allclose(x.sum(dims, keepdim).detach().numpy(), a.sum(axes, keepdims=keepdim), rtol=1e-12)
    np.testing.assert_allclose(x.mean(dims, keepdim).detach().numpy(), a.mean(axes, keepdims=keepdim), rtol=1e-12)
    np.testing.assert_allclose(x.logsumexp(dims, keepdim).detach().numpy(),
                               np.log(np.exp(a).sum(axes, keepdims=keepdim)), rtol=1e-12)
    assert gradcheck(lambda t: t.sum(dims, keepdim) * 2 + t.var(dims, keepdim=keepdim, correction=0), (x,))
    d0 = dims[0]
    assert gradcheck(lambda t: t.amax(d0, keepdim) + t.logsumexp(dims, keepdim).sum(), (x,))


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 5), st.sampled_from(["mean", "sum", "none"]),
       st.floats(0, 0.5), st.booleans())
def test_cross_entropy_matches_log_softmax_formula(n, c, reduction, smoothing, weighted):
    rng = np.random.default_rng(n * 10 + c)
    x = fastnn.tensor(rng.standard_normal((n, c)) * 3, requires_grad=True)
    y = rng.integers(0, c, n)
    w = rng.uniform(0.5, 2, c) if weighted else np.ones(c)
    logp = x.detach().numpy() - np.log(np.exp(x.detach().numpy()).sum(1, keepdims=True))
    per = -(1 - smoothing) * w[y] * logp[np.arange(n), y] - smoothing / c * (w * logp).sum(1)
    expect = {"none": per, "sum": per.sum(), "mean": per.sum() / w[y].sum()}[reduction]
    kw = dict(weight=fastnn.tensor(w)) if weighted else {}
    got = F.cross_entropy(x, fastnn.tensor(y), reduction=reduction, label_smoothing=smoothing, **kw)
    np.testing.assert_allclose(got.detach().numpy(), expect, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t: F.cross_entropy(t, fastnn.tensor(y), reduction=reduction,
                                               label_smoothing=smoothing, **kw), (x,))
