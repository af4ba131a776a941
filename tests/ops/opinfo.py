"""The op table's vocabulary (PyTorch's OpInfo is the model): a row per op, samples per row.

A row names an op, makes its sample inputs for a dtype, and says which variants and gradients to
check. Arrays in a sample become tensors in both libraries (from the same memory layout, so strided
views stay strided); float arrays of the row's dtype are the differentiable inputs.
"""
from dataclasses import dataclass, field

import numpy as np

FLOATS = ("float32", "float64")
INTS = ("int64", "int32", "uint8")


class Sample:
    __slots__ = ("args", "kwargs", "note")

    def __init__(self, *args, note="", **kwargs):
        self.args, self.kwargs, self.note = args, kwargs, note

    def __repr__(self):
        def show(a):
            if isinstance(a, np.ndarray):
                return f"array{a.shape}:{a.dtype}{'' if a.flags.c_contiguous else ':strided'}"
            if isinstance(a, (list, tuple)):
                return "[" + ", ".join(show(x) for x in a) + "]"
            return repr(a)
        body = ", ".join([show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()])
        return f"Sample({body}{' # ' + self.note if self.note else ''})"


S = Sample


class Maker:
    """Random arrays of one dtype; low/high bound the values, strided=True gives a non-contiguous view."""

    def __init__(self, dtype, seed):
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)

    def __call__(self, shape=(), low=-2.0, high=2.0, strided=False, distinct=False, dtype=None):
        dt = self.dtype if dtype is None else np.dtype(dtype)
        shape = tuple(shape)
        big = shape[:-1] + (shape[-1] * 2,) if strided and shape else shape
        if dt == np.bool_:
            a = self.rng.random(big) < 0.5
        elif dt.kind in "iu":
            lo = max(int(low), 0) if dt.kind == "u" else int(low)
            a = self.rng.integers(lo, max(int(high), lo + 1), big).astype(dt)
        elif distinct:
            n = int(np.prod(big))
            a = (self.rng.permutation(n).reshape(big) / max(n, 1) * (high - low) + low).astype(dt)
        else:
            a = self.rng.uniform(low, high, big).astype(dt)
        a = np.asarray(a)  # a 0-d draw of bool or int dtype comes back as a NumPy scalar: keep it an array
        if strided and shape:
            a = a[..., ::2]
            assert not a.flags.c_contiguous or a.size <= 1
        return a

    def index(self, shape, high):
        return self.rng.integers(0, high, tuple(shape)).astype(np.int64)

    def mask(self, shape):
        return self.rng.random(tuple(shape)) < 0.5


@dataclass
class OpRow:
    name: str
    samples: object                      # Maker -> [Sample]
    dtypes: tuple = FLOATS
    op: object = None                    # (lib, *args, **kwargs) -> out, when not lib.<name>
    variants: tuple = None               # of "function", "method", "inplace"; None: what torch has
    grad: bool = True                    # compare gradients with PyTorch's (float dtypes)
    gradcheck: bool = True               # float64 finite differences
    errors: object = None                # Maker -> [Sample] that must raise PyTorch's exception class
    atol: float = None
    rtol: float = None
    grad_outputs: tuple = None           # which outputs to differentiate (indices into a tuple output)
    compare: object = None               # (got, want, where) -> None asserts agreement, when not value equality
    note: str = ""
    extra: dict = field(default_factory=dict)

    def __repr__(self):
        return self.name

    def tolerances(self, dtype):
        if dtype == "float32":
            return self.rtol or 1e-4, self.atol or 1e-5
        if dtype == "float64":
            return self.rtol or 1e-7, self.atol or 1e-9
        return 1e-6, 1e-6  # integer rows: exact integers, or float32 results of float math


def broadcast_pairs(t, **kw):
    """The shapes binary elementwise ops are checked on: same, broadcast, 0-d, empty and strided."""
    return [S(t((3, 4), **kw), t((3, 4), **kw)),
            S(t((2, 3, 4), **kw), t((4,), **kw), note="broadcast"),
            S(t((3, 1), **kw), t((1, 4), **kw), note="broadcast both"),
            S(t((), **kw), t((2, 3), **kw), note="0-d"),
            S(t((0, 3), **kw), t((3,), **kw), note="empty"),
            S(t((3, 4), strided=True, **kw), t((3, 4), **kw), note="strided")]


def unary_shapes(t, **kw):
    return [S(t((3, 4), **kw)), S(t((), **kw), note="0-d"), S(t((0, 2), **kw), note="empty"),
            S(t((2, 3), strided=True, **kw), note="strided"),
            S(t((4, 3), **kw).T, note="transposed")]


def same_law(sigmas=6.0, atol=0.01):
    """A `compare` for random draws: the op returns (draw, *summaries). The draws must have the same
    shape and dtype, and their means and variances agree within `sigmas` standard errors (of the
    difference of two independent estimates; a few hundred thousand draws make a wrong law fail).
    The summaries (flags, shapes, fractions) must be equal, floats within atol."""
    def check(got, want, where):
        got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
        assert len(got) == len(want), f"{where}: {len(got)} outputs, PyTorch gives {len(want)}"
        g, w = got[0], want[0]
        assert tuple(g.shape) == tuple(w.shape), f"{where}: shape {tuple(g.shape)} != PyTorch {tuple(w.shape)}"
        assert str(g.dtype) == str(w.dtype).replace("torch.", ""), f"{where}: dtype {g.dtype} != PyTorch {w.dtype}"
        a, b = np.asarray(g.numpy(), np.float64).ravel(), w.double().numpy().ravel()
        n = a.size
        if n > 1:
            va, vb = a.var(), b.var()
            se_mean = np.sqrt((va + vb) / n)
            assert abs(a.mean() - b.mean()) <= sigmas * se_mean + 1e-12, \
                f"{where}: mean {a.mean():.5g} vs PyTorch {b.mean():.5g} (standard error {se_mean:.2g})"
            se_var = np.sqrt(((((a - a.mean()) ** 4).mean() - va ** 2) + (((b - b.mean()) ** 4).mean() - vb ** 2)) / n)
            assert abs(va - vb) <= sigmas * se_var + 1e-12, \
                f"{where}: variance {va:.5g} vs PyTorch {vb:.5g} (standard error {se_var:.2g})"
        for i, (x, y) in enumerate(zip(got[1:], want[1:]), 1):
            if isinstance(y, float):
                assert abs(x - y) <= atol, f"{where} summary {i}: {x!r} vs PyTorch {y!r}"
            else:
                assert x == y, f"{where} summary {i}: {x!r} != PyTorch {y!r}"
    return check
