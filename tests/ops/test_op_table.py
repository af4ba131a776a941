"""One generic test over the op table: every row against PyTorch 2.13.

Per row, dtype and sample: values, dtype and shape of every variant (torch.x, Tensor.x, Tensor.x_);
gradients by autograd against PyTorch's; float64 finite differences (fastnn.autograd.gradcheck);
and the row's bad calls raise PyTorch's exception class. Adding an op means adding a row.
"""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck

from .op_db import ROWS

torch = pytest.importorskip("torch")


def _lib_name(lib):
    return "torch" if lib is torch else "fastnn"


def _convert(lib, x, requires_grad=False):
    if isinstance(x, np.ndarray):
        if lib is torch:
            t = torch.from_numpy(x.copy() if x.dtype == np.float16 else x)
        else:
            t = fastnn.from_numpy(x)
        if requires_grad:
            t.requires_grad_(True)
        return t
    if isinstance(x, list):
        return [_convert(lib, v, requires_grad) for v in x]
    if isinstance(x, tuple) and any(isinstance(v, np.ndarray) for v in x):
        return tuple(_convert(lib, v, requires_grad) for v in x)
    if isinstance(x, str) and x.startswith("dtype:"):
        return getattr(lib, x[6:])
    return x


def _differentiable(x, dtype):
    return isinstance(x, np.ndarray) and x.dtype == np.dtype(dtype) and x.dtype.kind == "f"


def _inputs(lib, sample, dtype, grad):
    args = [_convert(lib, a, grad and _differentiable(a, dtype)) for a in sample.args]
    kwargs = {k: _convert(lib, v, grad and _differentiable(v, dtype)) for k, v in sample.kwargs.items()}
    return args, kwargs


def _call(row, lib, variant, args, kwargs):
    if row.op is not None:
        return row.op(lib, *args, **kwargs)
    if variant == "function":
        return getattr(lib, row.name)(*args, **kwargs)
    if variant == "method":
        return getattr(args[0], row.name)(*args[1:], **kwargs)
    self = args[0].clone() if lib is torch else args[0].clone()
    out = getattr(self, row.name + "_")(*args[1:], **kwargs)
    assert out is self, f"{row.name}_ must return self"
    return self


def _variants(row):
    if row.op is not None:
        return ("function",)
    if row.variants is not None:
        return row.variants
    v = []
    if hasattr(torch, row.name):
        v.append("function")
    if hasattr(torch.Tensor, row.name):
        v.append("method")
    if hasattr(torch.Tensor, row.name + "_"):
        v.append("inplace")
    return tuple(v)


def _flat(out):
    if isinstance(out, (tuple, list)):
        r = []
        for o in out:
            r.extend(_flat(o))
        return r
    return [out]


def _compare(got, want, rtol, atol, where):
    g, w = _flat(got), _flat(want)
    assert len(g) == len(w), f"{where}: {len(g)} outputs, PyTorch gives {len(w)}"
    for i, (a, b) in enumerate(zip(g, w)):
        at = f"{where} output {i}"
        if isinstance(b, torch.Tensor):
            assert isinstance(a, fastnn.Tensor), f"{at}: got {type(a).__name__}, PyTorch gives a Tensor"
            assert tuple(a.shape) == tuple(b.shape), f"{at}: shape {tuple(a.shape)} != PyTorch {tuple(b.shape)}"
            assert str(a.dtype) == str(b.dtype).replace("torch.", ""), f"{at}: dtype {a.dtype} != PyTorch {b.dtype}"
            np.testing.assert_allclose(np.asarray(a.detach().numpy(), np.float64),
                                       b.detach().double().numpy(), rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=at)
        elif isinstance(b, (bool, int, float)):
            assert type(a) is type(b) or (isinstance(a, (int, float)) and not isinstance(b, bool)), \
                f"{at}: got {type(a).__name__}, PyTorch gives {type(b).__name__}"
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=at)
        else:
            assert a == b, f"{at}: {a!r} != PyTorch {b!r}"


def _loss(lib, out, weights, which):
    outs = _flat(out)
    idx = range(len(outs)) if which is None else which
    total = None
    for i in idx:
        o = outs[i]
        if not hasattr(o, "dtype"):  # a Python value beside the tensors (a flag, a shape)
            continue
        if o.dtype not in (torch.float32, torch.float64, fastnn.float32, fastnn.float64) or o.numel() == 0:
            continue
        w = weights[i]
        term = (o * (torch.from_numpy(w) if lib is torch else fastnn.from_numpy(w))).sum()
        total = term if total is None else total + term
    return total


def _grads(lib, row, sample, dtype):
    args, kwargs = _inputs(lib, sample, dtype, True)
    leaves = [a for a in _flat(args) + _flat(list(kwargs.values())) if getattr(a, "requires_grad", False)]
    if not leaves:
        return None
    variant = "function" if row.op or hasattr(torch, row.name) else "method"
    try:
        out = _call(row, lib, variant, args, kwargs)
    except Exception:
        if lib is torch:  # a call PyTorch refuses was already compared above
            return None
        raise
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(tuple(o.shape)).astype(dtype) if hasattr(o, "dtype") else None
               for o in _flat(out)]
    loss = _loss(lib, out, weights, row.grad_outputs)
    if loss is None or not loss.requires_grad:
        return None
    try:
        loss.backward()
    except RuntimeError:
        if lib is torch:  # PyTorch's own backward refuses (vander's in-place internals): finite differences decide
            return "no reference"
        raise
    return [x.grad for x in leaves]


@pytest.mark.parametrize("row", ROWS, ids=[r.name + (f"[{r.note}]" if r.note else "") for r in ROWS])
def test_op_matches_pytorch(row):
    variants = _variants(row)
    assert variants, f"{row.name}: PyTorch has no torch.{row.name} or Tensor.{row.name}"
    for dtype in row.dtypes:
        rtol, atol = row.tolerances(dtype)
        for k, sample in enumerate(row.samples(_maker(dtype, row.name))):
            where = f"{row.name} {dtype} {sample!r}"
            for variant in variants:
                if variant == "inplace" and not isinstance(sample.args[0], np.ndarray):
                    continue
                want_exc = got_exc = None
                try:
                    want = _call(row, torch, variant, *_inputs(torch, sample, dtype, False))
                except Exception as e:  # PyTorch refuses: fastnn must refuse with the same class
                    want_exc = e
                try:
                    got = _call(row, fastnn, variant, *_inputs(fastnn, sample, dtype, False))
                except Exception as e:
                    got_exc = e
                if want_exc is not None:
                    assert got_exc is not None, f"{where} {variant}: PyTorch raises {want_exc!r}, fastnn does not"
                    assert isinstance(got_exc, _builtin(type(want_exc))), \
                        f"{where} {variant}: fastnn raises {got_exc!r}, PyTorch {type(want_exc).__name__}"
                    continue
                if got_exc is not None:
                    raise AssertionError(f"{where} {variant}: fastnn raises {got_exc!r}") from got_exc
                if row.compare is not None:  # random draws: the law, not the values, must agree
                    row.compare(got, want, f"{where} {variant}")
                else:
                    _compare(got, want, rtol, atol, f"{where} {variant}")
            if row.grad and dtype in ("float32", "float64"):
                gw = _grads(torch, row, sample, dtype)
                if isinstance(gw, str):
                    if dtype == "float64" and row.gradcheck and k < 3:
                        _gradcheck(row, sample)
                    continue
                if gw is not None:
                    gg = _grads(fastnn, row, sample, dtype)
                    if gg is None:  # fine only where PyTorch's gradients are all zero (a constant result)
                        assert not any(_dense(b).any() for b in gw if b is not None), \
                            f"{where}: PyTorch differentiates, fastnn gives no gradient"
                        continue
                    for i, (a, b) in enumerate(zip(gg, gw)):
                        if b is None:
                            continue
                        if a is None and not _dense(b).any():
                            continue  # an all-zero gradient: fastnn may leave it None
                        assert a is not None, f"{where}: no gradient for input {i}"
                        np.testing.assert_allclose(a.numpy(), _dense(b), rtol=rtol * 10, atol=atol * 10,
                                                   equal_nan=True, err_msg=f"{where}: gradient of input {i}")
                    if row.gradcheck and dtype == "float64" and k < 3:
                        _gradcheck(row, sample)
    if row.errors is not None:
        for sample in row.errors(_maker("float32", row.name)):
            _check_error(row, sample)


def _dense(t):
    try:
        return t.numpy()
    except RuntimeError:  # PyTorch's ZeroTensor: a gradient known to be all zeros
        return np.zeros(tuple(t.shape))


def _maker(dtype, name):
    from .opinfo import Maker
    return Maker(dtype, seed=sum(map(ord, name)))


def _gradcheck(row, sample):
    args, kwargs = _inputs(fastnn, sample, "float64", True)
    leaves = [a for a in _flat(args) if getattr(a, "requires_grad", False)]
    if not leaves or any(x.numel() == 0 for x in leaves):
        return
    variant = "function" if row.op or hasattr(torch, row.name) else "method"
    assert gradcheck(lambda *a: _call(row, fastnn, variant, list(a), kwargs), args, atol=1e-5, rtol=1e-3), \
        f"{row.name} {sample!r}: finite differences disagree with backward"


def _check_error(row, sample):
    where = f"{row.name} {sample!r}"
    with pytest.raises(Exception) as want:
        _call(row, torch, "function" if row.op or hasattr(torch, row.name) else "method",
              *_inputs(torch, sample, "float32", False))
    with pytest.raises(Exception) as got:
        _call(row, fastnn, "function" if row.op or hasattr(torch, row.name) else "method",
              *_inputs(fastnn, sample, "float32", False))
    assert isinstance(got.value, _builtin(want.type)), \
        f"{where}: fastnn raises {got.value!r}, PyTorch {want.type.__name__}"


def _builtin(exc_type):
    """The built-in class of a PyTorch exception (torch.linalg.LinAlgError is a RuntimeError)."""
    for t in exc_type.__mro__:
        if t.__module__ == "builtins":
            return t
    return exc_type
