"""A leaf's later gradients are added into its existing .grad in place, as PyTorch does (the same
tensor stays .grad); a retained non-leaf gradient gets a new tensor, as in PyTorch; a .grad that
cannot take an in-place add (read-only, another dtype) is replaced instead."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")


def _pair(a):
    return fastnn.tensor(a.copy()).requires_grad_(True), torch.tensor(a.copy(), requires_grad=True)


def test_second_backward_adds_into_the_same_grad_tensor():
    a = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    x, tx = _pair(a)
    for lib, t in ((fastnn, x), (torch, tx)):
        lib.nn.functional.softmax(t * 2, -1).pow(2).sum().backward()
    g0, tg0 = x.grad, tx.grad
    for lib, t in ((fastnn, x), (torch, tx)):
        (lib.nn.functional.log_softmax(t, -1) * lib.arange(3.0)).sum().backward()
    assert (x.grad is g0) == (tx.grad is tg0) == True  # noqa: E712
    np.testing.assert_allclose(g0.numpy(), tg0.numpy(), rtol=1e-5, atol=1e-6)


def test_leaf_used_twice_in_one_graph():
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    x, tx = _pair(a)
    for lib, t in ((fastnn, x), (torch, tx)):
        (lib.nn.functional.softmax(t, -1) * t + (t * 3).tanh()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_zeroed_grad_is_reused_and_user_assigned_grad_receives_the_sum():
    x, tx = _pair(np.ones(3, np.float32))
    x.grad, tx.grad = fastnn.full((3,), 10.0), torch.full((3,), 10.0)
    mine, theirs = x.grad, tx.grad
    (x * 2).sum().backward()
    (tx * 2).sum().backward()
    assert x.grad is mine and tx.grad is theirs
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())  # 12: the assigned tensor itself
    opt = fastnn.optim.SGD([x], lr=0.1)
    opt.zero_grad(set_to_none=False)
    (x * 5).sum().backward()
    assert x.grad is mine
    np.testing.assert_array_equal(mine.numpy(), np.full(3, 5.0, np.float32))


def test_retained_non_leaf_gradient_is_a_new_tensor_as_in_pytorch():
    x, tx = _pair(np.ones(3, np.float32))
    seen = []
    for t in (x, tx):
        h = t * 1
        h.retain_grad()
        y = (h * 2).sum()
        y.backward(retain_graph=True)
        first = h.grad
        y.backward()
        seen.append((first is h.grad, first.numpy().copy() if hasattr(first, "numpy") else None, h.grad))
    (f_same, f_first, f_now), (t_same, t_first, t_now) = seen
    assert f_same == t_same
    np.testing.assert_array_equal(f_first, t_first)
    np.testing.assert_array_equal(f_now.numpy(), t_now.detach().numpy())


def test_read_only_or_other_dtype_grad_is_replaced_not_written():
    x = fastnn.ones(3, requires_grad=True)
    frozen = np.full(3, 1.0, np.float32)
    frozen.flags.writeable = False
    x.grad = fastnn.from_numpy(frozen)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(frozen, np.ones(3, np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 3.0, np.float32))

    y = fastnn.ones(3, requires_grad=True)
    y.grad = fastnn.ones(6)[::2]  # a strided view: still added into where it is writeable
    base = y.grad
    (y * 2).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.full(3, 3.0, np.float32))
    assert y.grad is base or not np.shares_memory(y.grad._data, base._data)


def test_gradient_accumulation_over_micro_batches_matches_pytorch():
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 4)).astype(np.float32)
    batches = [rng.standard_normal((5, 6)).astype(np.float32) for _ in range(3)]
    w, tw = _pair(w0)
    opt, topt = fastnn.optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for _ in range(2):
        for lib, p, o in ((fastnn, w, opt), (torch, tw, topt)):
            o.zero_grad()
            for b in batches:
                lib.nn.functional.log_softmax(lib.tensor(b) @ p, -1).mean().backward()
            o.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
