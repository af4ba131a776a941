"""The harness behind the nn tables: run one row on fastnn and on PyTorch with the same data
(and, for modules, the same weights through state_dict) and compare outputs and every gradient;
float64 rows also go through fastnn's finite-difference gradcheck."""
import zlib

import numpy as np

import fastnn
from fastnn.autograd import gradcheck


class Row:
    """fn(lib, *inputs) runs the op with lib = fastnn or torch; make(rng) returns the NumPy inputs.
    Float inputs require grad unless their position is in `nograd`."""
    def __init__(self, id, fn, make, nograd=(), check_grad=True, gradcheck=True, rtol32=2e-4, atol32=2e-5):
        self.id, self.fn, self.make, self.nograd = id, fn, make, set(nograd)
        self.check_grad, self.gradcheck = check_grad, gradcheck
        self.rtol32, self.atol32 = rtol32, atol32

    def __repr__(self):
        return self.id


def randn(*shape, scale=1.0, shift=0.0):
    return lambda rng: rng.standard_normal(shape) * scale + shift


def uniform(*shape, low=0.0, high=1.0):
    return lambda rng: rng.uniform(low, high, shape)


def ints(*shape, low=0, high=2):
    return lambda rng: rng.integers(low, high, shape).astype(np.int64)


def signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def const(value):
    return lambda rng: np.asarray(value)


def inputs(*makers):
    return lambda rng: [m(rng) for m in makers]


def _to(lib, arrays, dtype, nograd, torch):
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        grad = a.dtype.kind == "f" and i not in nograd
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        if lib is torch:
            t = torch.tensor(a)
            out.append(t.requires_grad_(True) if grad else t)
        else:
            out.append(fastnn.tensor(a, requires_grad=grad))
    return out


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def tolerances(dtype, row):
    return (1e-7, 1e-9) if dtype == np.float64 else (row.rtol32, row.atol32)


def assert_close(ours, theirs, dtype, row, what):
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, f"{row.id}: {what} shape {a.shape} != torch's {b.shape}"
    if b.dtype.kind in "iub":
        np.testing.assert_array_equal(a, b, err_msg=f"{row.id}: {what}")
        return
    assert a.dtype == dtype, f"{row.id}: {what} dtype {a.dtype}, expected {dtype}"
    rtol, atol = tolerances(dtype, row)
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale, err_msg=f"{row.id}: {what}")


def backward_both(torch, outs, touts, rng):
    """Backpropagate the same random projection of every float output on both sides."""
    total = ttotal = None
    for o, to in zip(outs, touts):
        if not getattr(to, "requires_grad", False):
            continue
        w = rng.standard_normal(tuple(to.shape))
        term = (o * fastnn.tensor(w.astype(_np(o).dtype))).sum()
        tterm = (to * torch.tensor(w, dtype=to.dtype)).sum()
        total = term if total is None else total + term
        ttotal = tterm if ttotal is None else ttotal + tterm
    if total is not None:
        total.backward()
        ttotal.backward()
    return total is not None


def _outputs_match(torch, row, arrays, dtype, run, trun):
    """Both sides run on the same inputs (run on fastnn's, trun on torch's); every output must agree.
    Returns (inputs, torch inputs, outputs, torch outputs) for the gradient checks."""
    xs = _to(fastnn, arrays, dtype, row.nograd, torch)
    txs = _to(torch, arrays, dtype, row.nograd, torch)
    outs, touts = _flat(run(*xs)), _flat(trun(*txs))
    assert len(outs) == len(touts)
    for i, (o, to) in enumerate(zip(outs, touts)):
        assert_close(o, to, dtype, row, f"output {i}")
    return xs, txs, outs, touts


def run_functional(torch, row, dtype):
    rng = np.random.default_rng(zlib.crc32(row.id.encode()))
    arrays = row.make(rng)
    xs, txs, outs, touts = _outputs_match(torch, row, arrays, dtype, lambda *x: row.fn(fastnn, *x),
                                          lambda *x: row.fn(torch, *x))
    if row.check_grad and backward_both(torch, outs, touts, rng):
        for i, (x, tx) in enumerate(zip(xs, txs)):
            if tx.requires_grad:
                assert tx.grad is not None or x.grad is None
                if tx.grad is not None:
                    assert x.grad is not None, f"{row.id}: no gradient for input {i}"
                    assert_close(x.grad, tx.grad, dtype, row, f"gradient of input {i}")
    if dtype == np.float64 and row.gradcheck and row.check_grad:
        xs = _to(fastnn, arrays, np.float64, row.nograd, torch)
        if any(x.requires_grad for x in xs):
            assert gradcheck(lambda *a: row.fn(fastnn, *a), xs, atol=1e-5, rtol=1e-4)


class ModRow(Row):
    """ctor(lib) builds the module on either side; call(module, *inputs) runs it (default m(*x))."""
    def __init__(self, id, ctor, make, call=None, train=True, **kw):
        super().__init__(id, None, make, **kw)
        self.ctor, self.call, self.train = ctor, call or (lambda m, *x: m(*x)), train


def run_module(torch, row, dtype):
    rng = np.random.default_rng(zlib.crc32(row.id.encode()))
    torch.manual_seed(0)
    tm = row.ctor(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():  # move parameters off their constant defaults (ones, zeros, 0.25)
        for p in tm.parameters():
            p.add_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.1, dtype=p.dtype))
    fm = row.ctor(fastnn)
    fm = fm.double() if dtype == np.float64 else fm.float()
    fm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    tm.train(row.train)
    fm.train(row.train)
    arrays = row.make(rng)
    xs, txs, outs, touts = _outputs_match(torch, row, arrays, dtype, lambda *x: row.call(fm, *x),
                                          lambda *x: row.call(tm, *x))
    tstate = tm.state_dict()
    for k, v in fm.state_dict().items():
        assert_close(v, tstate[k], v.numpy().dtype if v.numpy().dtype.kind != "f" else dtype, row,
                     f"state {k} after forward")
    if row.check_grad and backward_both(torch, outs, touts, rng):
        for i, (x, tx) in enumerate(zip(xs, txs)):
            if tx.requires_grad and tx.grad is not None:
                assert_close(x.grad, tx.grad, dtype, row, f"gradient of input {i}")
        fparams = dict(fm.named_parameters())
        assert set(fparams) == {n for n, _ in tm.named_parameters()}, row.id
        for name, tp in tm.named_parameters():
            if tp.grad is not None:
                assert fparams[name].grad is not None, f"{row.id}: no gradient for {name}"
                assert_close(fparams[name].grad, tp.grad, dtype, row, f"gradient of {name}")
