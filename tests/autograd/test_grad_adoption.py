"""A leaf's first gradient is adopted without a copy only when nothing else can reach it.

Every aliasing test changes the gradient (or its source) in place after backward and checks that
nothing else moved, and compares the values with PyTorch's.
"""
import numpy as np
import pytest

import fastnn
from fastnn.autograd.function import Function
from fastnn.autograd import grad_buffer
from fastnn.autograd.grad_buffer import adoptable, unshared

torch = pytest.importorskip("torch")
# adoption needs reference counts that mean ownership (CPython with the GIL); elsewhere it copies
counts_refs = pytest.mark.skipif(not grad_buffer._ENABLED, reason="no adoption without GIL reference counts")


def _pair(a):
    return fastnn.tensor(a.copy()).requires_grad_(True), torch.tensor(a.copy(), requires_grad=True)


class _Returns(Function):
    """Identity forward; backward returns what `make(g)` gives for the one input."""
    @staticmethod
    def forward(ctx, a, make):
        ctx.make = make
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return ctx.make(g), None


class _Twice(Function):
    """y = a + b; backward hands the SAME array to both inputs."""
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        out = g * 1.0
        return out, out


@counts_refs
def test_fresh_gradient_is_adopted_only_when_nothing_else_holds_it():
    x = fastnn.randn(4, 5, requires_grad=True)
    made = []

    def keep(g):
        made.append(np.ascontiguousarray(g) * 2)
        return made[-1]
    _Returns.apply(x, keep).sum().backward()
    assert x.grad._data is not made[0] and not np.shares_memory(x.grad._data, made[0])
    np.testing.assert_array_equal(x.grad.numpy(), np.full((4, 5), 2.0, np.float32))

    x.grad = None
    addr = []

    def fresh(g):
        out = np.ascontiguousarray(g) * 2
        addr.append(out.ctypes.data)  # the address only: no reference kept
        return out
    _Returns.apply(x, fresh).sum().backward()
    # a copy would be made while the original is alive, so at another address
    assert x.grad._data.ctypes.data == addr[0]
    np.testing.assert_array_equal(x.grad.numpy(), np.full((4, 5), 2.0, np.float32))


@counts_refs
def test_softmax_kernel_output_becomes_the_leaf_grad(monkeypatch):
    from fastnn.autograd.native import softmax as native
    addr = []
    kernel = native.softmax_kernels.softmax_backward

    def recording(*args):
        out = kernel(*args)
        addr.append(out.ctypes.data)
        return out
    monkeypatch.setattr(native.softmax_kernels, "softmax_backward", recording)
    a = np.random.default_rng(3).standard_normal((2, 3, 8)).astype(np.float32)
    x, tx = _pair(a)
    w = np.arange(8, dtype=np.float32)
    (fastnn.nn.functional.softmax(x, -1) * fastnn.tensor(w)).sum().backward()
    assert x.grad._data.ctypes.data == addr[0]  # the reshaped kernel buffer, not a copy
    (torch.softmax(tx, -1) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


@counts_refs
def test_spmm_kernel_output_on_a_cache_line_becomes_the_leaf_grad(monkeypatch):
    # the SpMM kernels start their outputs on a 64-byte line, in a buffer up to 64 bytes longer: still
    # adopted (a 2708 x 1433 gradient was copied, 0.8 ms)
    from fastnn.autograd.native import graph as native
    addr = []
    kernel = native.graph_kernels.spmm_csr_backward

    def recording(*args, **kwargs):
        out = kernel(*args, **kwargs)
        addr.append(out[0].ctypes.data)
        return out
    monkeypatch.setattr(native.graph_kernels, "spmm_csr_backward", recording)
    rng = np.random.default_rng(4)
    dense = (rng.random((6, 5)) < 0.4) * rng.standard_normal((6, 5))
    a = rng.standard_normal((5, 7)).astype(np.float32)
    x, tx = _pair(a)
    fastnn.sparse.mm(fastnn.tensor(dense.astype(np.float32)).to_sparse_csr(), x).sum().backward()
    assert x.grad._data.ctypes.data == addr[0]
    torch.sparse.mm(torch.tensor(dense, dtype=torch.float32).to_sparse_csr(), tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_same_array_to_two_leaves_is_not_shared():
    a, b = np.ones((3, 4), np.float32), np.full((3, 4), 2.0, np.float32)
    x, tx = _pair(a)
    y, ty = _pair(b)
    _Twice.apply(x, y).sum().backward()
    assert not np.shares_memory(x.grad._data, y.grad._data)
    x.grad._data += 5  # an optimizer step on x.grad must not move y.grad
    np.testing.assert_array_equal(y.grad.numpy(), np.ones((3, 4), np.float32))
    (tx + ty).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


@pytest.mark.parametrize("op", ["view", "reshape", "expand", "identity_add", "mul_one", "clone", "detach_mix"])
def test_identity_like_backward_gradient_stays_private(op):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    outs = []
    for lib, (x, w_t) in ((fastnn, (fastnn.tensor(a).requires_grad_(True), fastnn.tensor(w))),
                          (torch, (torch.tensor(a, requires_grad=True), torch.tensor(w)))):
        if op == "view":
            y = x.view(12).view(3, 4)
        elif op == "reshape":
            y = x.reshape(4, 3).reshape(3, 4)
        elif op == "expand":
            y = x[:1].expand(3, 4)
        elif op == "identity_add":
            y = x + 0
        elif op == "mul_one":
            y = x * 1
        elif op == "clone":
            y = x.clone()
        else:
            y = x + x.detach()
        gout = lib.tensor(w) if lib is fastnn else w_t
        y.backward(gout)
        outs.append((x, gout))
    (fx, fg), (tx, tg) = outs
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    # the gradient passed in by the caller must not have become x.grad
    assert not np.shares_memory(fx.grad._data, fg._data)
    before = fg.numpy().copy()
    fx.grad._data *= 3
    np.testing.assert_array_equal(fg.numpy(), before)


def test_hook_that_keeps_the_gradient_sees_it_unchanged():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    kept = []
    x, tx = _pair(a)
    x.register_hook(lambda g: kept.append(g))
    (x * 3).sum().backward()
    assert not np.shares_memory(kept[0]._data, x.grad._data)
    x.grad._data[:] = -1
    np.testing.assert_array_equal(kept[0].numpy(), np.full((2, 3), 3.0, np.float32))
    (tx * 3).sum().backward()
    np.testing.assert_array_equal(kept[0].numpy(), tx.grad.numpy())


def test_hook_returning_a_kept_tensor_is_copied():
    stash = fastnn.full((2, 3), 7.0)
    x = fastnn.ones(2, 3, requires_grad=True)
    x.register_hook(lambda g: stash)
    (x * 2).sum().backward()
    assert not np.shares_memory(stash._data, x.grad._data)
    x.grad._data[:] = 0
    np.testing.assert_array_equal(stash.numpy(), np.full((2, 3), 7.0, np.float32))


def test_retain_grad_and_leaf_do_not_share():
    a = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    x, tx = _pair(a)
    for lib, t in ((fastnn, x), (torch, tx)):
        h = t * 2
        h.retain_grad()
        (h * h).sum().backward()
        if lib is fastnn:
            fh = h
        else:
            th = h
    assert not np.shares_memory(fh.grad._data, x.grad._data)
    np.testing.assert_allclose(fh.grad.numpy(), th.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    fh.grad._data[:] = 0
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_accumulation_across_two_backward_calls():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 6)).astype(np.float32)
    x, tx = _pair(a)
    for lib, t in ((fastnn, x), (torch, tx)):
        for k in (1.0, -2.5):
            lib.nn.functional.softmax(t * k, -1).pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    fastnn.nn.functional.softmax(x, -1)[:, 0].sum().backward()
    tx_grad = tx.grad.clone()
    torch.softmax(tx, -1)[:, 0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert not np.allclose(tx_grad.numpy(), tx.grad.numpy())


def test_retain_graph_saved_arrays_are_not_adopted():
    class _ReturnsSaved(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.w = np.full(a.shape, 4.0, a.dtype)
            return a * 4

        @staticmethod
        def backward(ctx, g):
            return ctx.w  # valid because the loss below is a plain sum
    x = fastnn.ones(5, requires_grad=True)
    y = _ReturnsSaved.apply(x).sum()
    y.backward(retain_graph=True)
    x.grad._data[:] = 0  # would corrupt the saved array if it had been adopted
    x.grad = None
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 4.0, np.float32))


def test_leaf_gradient_equal_to_the_forward_output_is_copied():
    class _ReturnsOutput(Function):
        @staticmethod
        def forward(ctx, a):
            out = np.exp(a)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return out  # d/dx sum(exp(x)) is exp(x): the forward output itself
    x = fastnn.zeros(3, requires_grad=True)
    y = _ReturnsOutput.apply(x)
    y.sum().backward()
    assert not np.shares_memory(x.grad._data, y._data)
    x.grad._data[:] = 9
    np.testing.assert_array_equal(y._data, np.ones(3, np.float32))


def test_optimizer_step_after_adoption_matches_pytorch():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((5, 7)).astype(np.float32)
    inp = rng.standard_normal((3, 5)).astype(np.float32)
    w, tw = _pair(w0)
    opt, topt = fastnn.optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for _ in range(3):
        for lib, p, o in ((fastnn, w, opt), (torch, tw, topt)):
            o.zero_grad()
            lib.nn.functional.log_softmax(lib.tensor(inp) @ p, -1).sum().backward()
            o.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


@counts_refs
def test_unshared_counts_every_owner():
    def probe():
        a = np.ones(3)
        fresh = unshared(a)
        t = [a]
        listed = unshared(a)
        del t
        wrapped = fastnn.from_numpy(a)
        held = unshared(a)
        del wrapped
        v = a[1:]
        viewed = unshared(a)
        del v
        return fresh, listed, held, viewed, unshared(a)
    assert probe() == (True, False, False, False, True)


def test_adoptable_rejects_views_read_only_and_foreign_memory():
    def probe():
        out = {}
        a = np.ones((2, 3), np.float32)
        out["fresh"] = adoptable(a, np.float32, (2, 3))
        out["dtype"] = adoptable(a, np.float64, (2, 3))
        out["shape"] = adoptable(a, np.float32, (3, 2))
        b = np.ones(64, np.float32)
        part = b[:6].reshape(2, 3)
        del b
        out["part_of_base"] = adoptable(part, np.float32, (2, 3))
        raw = np.empty(24 + 64, np.uint8)   # a cache-line-aligned output: its base is longer by the slack
        skip = (-raw.ctypes.data) % 64
        aligned = raw[skip:skip + 24].view(np.float32).reshape(2, 3)
        out["aligned_but_base_held"] = adoptable(aligned, np.float32, (2, 3))
        del raw
        out["aligned"] = adoptable(aligned, np.float32, (2, 3))
        c = np.ones(6, np.float32)
        whole = c.reshape(2, 3)
        out["whole_but_base_held"] = adoptable(whole, np.float32, (2, 3))
        del c
        out["whole"] = adoptable(whole, np.float32, (2, 3))
        ro = np.ones((2, 3), np.float32)
        ro.flags.writeable = False
        out["read_only"] = adoptable(ro, np.float32, (2, 3))
        out["transposed"] = adoptable(np.ones((3, 2), np.float32).T, np.float32, (2, 3))
        buf = bytearray(24)
        out["foreign"] = adoptable(np.frombuffer(buf, np.float32).reshape(2, 3), np.float32, (2, 3))
        out["broadcast"] = adoptable(np.broadcast_to(np.float32(1), (2, 3)), np.float32, (2, 3))
        return out
    assert probe() == {"fresh": True, "dtype": False, "shape": False, "part_of_base": False,
                       "aligned_but_base_held": False, "aligned": True,
                       "whole_but_base_held": False, "whole": True, "read_only": False,
                       "transposed": False, "foreign": False, "broadcast": False}
