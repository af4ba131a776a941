"""PyTorch ops take NumPy's axis= and keepdims= for dim= and keepdim=; so do fastnn's (the catalogue adds them)."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")

REDUCTIONS = ["sum", "mean", "prod", "std", "var", "amax", "amin", "logsumexp", "all", "any", "nansum", "nanmean",
              "count_nonzero", "argmax", "argmin", "max", "min", "median", "nanmedian", "mode"]
FUNCTIONS_ONLY = ["std_mean", "var_mean"]  # not Tensor methods in PyTorch (and Tensor.norm is Python, without axis=)
ALONG = ["softmax", "log_softmax", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "argsort", "sort",
         "unbind", "squeeze", "unsqueeze", "diff"]


def _values(out):
    if isinstance(out, (tuple, list)):
        return [v for o in out for v in _values(o)]
    return [np.asarray(out.detach().numpy() if hasattr(out, "detach") else out, np.float64)]


def _check(call):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (3, 1, 4))
    want, got = call(torch, torch.from_numpy(x)), call(fastnn, fastnn.from_numpy(x))
    for g, w in zip(_values(got), _values(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_take_axis_and_keepdims(name):
    kw = {} if name == "count_nonzero" else {"keepdims": True}
    _check(lambda lib, x: getattr(x, name)(axis=2, **kw))
    _check(lambda lib, x: getattr(lib, name)(x, axis=0))


@pytest.mark.parametrize("name", FUNCTIONS_ONLY)
def test_functions_take_axis_and_keepdims(name):
    _check(lambda lib, x: getattr(lib, name)(x, axis=2, keepdims=True))


@pytest.mark.parametrize("name", ALONG)
def test_ops_along_a_dim_take_axis(name):
    axis = 1 if name == "squeeze" else 2
    _check(lambda lib, x: getattr(x, name)(axis=axis))


def test_cat_and_stack_take_axis():
    _check(lambda lib, x: lib.cat([x, x], axis=2))
    _check(lambda lib, x: lib.stack([x, x], axis=1))


def test_dim_and_its_alias_together_is_an_error():
    x = fastnn.ones(2, 3)
    with pytest.raises(TypeError, match="alias 'axis'"):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError):
        torch.ones(2, 3).sum(dim=0, axis=1)
