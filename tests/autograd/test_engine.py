"""Backward engine: accumulation, shared subexpressions, grad modes, detach, retain_grad, in-place rules."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import Function


def test_gradient_accumulates_over_two_backward_calls():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])


def test_diamond_graph_sums_both_paths():
    x = fastnn.tensor([0.5, -1.0], requires_grad=True)
    h = x * 2          # shared subexpression
    a = h.exp()
    b = h * h
    (a + b + h).sum().backward()
    xn = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * xn) + 8 * xn + 2)


def test_same_tensor_used_twice_in_one_op():
    x = fastnn.tensor([3.0], requires_grad=True)
    (x * x * x).backward(fastnn.tensor([1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [27.0])


def test_deep_chain_does_not_recurse():
    x = fastnn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_backward_with_explicit_gradient_and_shape_check():
    x = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    with pytest.raises(ValueError, match="gradient"):
        y.backward(fastnn.ones(2))
    y.backward(fastnn.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 0, -2])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        fastnn.ones(2).sum().backward()


def test_no_grad_enable_grad_and_decorator():
    x = fastnn.ones(2, requires_grad=True)
    with fastnn.no_grad():
        y = x * 2
        assert not fastnn.is_grad_enabled()
        with fastnn.enable_grad():
            z = x * 2
    assert fastnn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @fastnn.no_grad()
    def f(a):
        return a * 3

    assert not f(x).requires_grad
    assert fastnn.is_grad_enabled()

    with fastnn.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad


def test_no_grad_restores_state_after_exception():
    with pytest.raises(KeyError):
        with fastnn.no_grad():
            raise KeyError
    assert fastnn.is_grad_enabled()


def test_detach_shares_memory_and_cuts_graph():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = x * 1
    dy = y.detach()
    dy.numpy()[0] = 42
    assert y.detach().numpy()[0] == 42
    (x * d).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        fastnn.tensor([1, 2]).requires_grad_()
    x = fastnn.ones(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and x.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    z = fastnn.ones(2)
    assert not (z * 2).requires_grad
    assert (z * x).requires_grad


def test_retain_grad_on_intermediate():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.detach().numpy())
    g = x * 5
    (g * 2).sum().backward()
    assert g.grad is None  # not retained


def test_data_semantics_sgd_update_in_place():
    p = fastnn.tensor([1.0, 2.0], requires_grad=True)
    alias = p.detach().numpy()
    (p * p).sum().backward()
    p.data -= 0.1 * p.grad.data
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6])
    assert p.detach().numpy() is alias or np.shares_memory(alias, p.detach().numpy())
    np.testing.assert_allclose(alias, [0.8, 1.6])
    assert p.requires_grad and not p.data.requires_grad
    p.data = fastnn.tensor([5.0, 6.0])
    np.testing.assert_allclose(p.detach().numpy(), [5, 6])


def test_inplace_on_leaf_requiring_grad_raises_but_allowed_under_no_grad():
    p = fastnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        p.add_(1)
    with pytest.raises(RuntimeError):
        p[0] = 5.0
    with fastnn.no_grad():
        p.mul_(3)
        p[1] = 0.0
    np.testing.assert_allclose(p.detach().numpy(), [3, 0, 3])
    assert p.requires_grad


def test_inplace_on_plain_tensor():
    x = fastnn.zeros(3)
    x += 1
    x.mul_(fastnn.tensor([1.0, 2.0, 3.0]))
    x[0] = 7
    x.clamp_(max=5)
    np.testing.assert_allclose(x.numpy(), [5, 2, 3])
    x.masked_fill_(fastnn.tensor([False, True, False]), -1.0)
    np.testing.assert_allclose(x.numpy(), [5, -1, 3])


def test_inplace_augmented_assignment_in_graph_keeps_gradient():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h += 1
    h *= x
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy() + 1)


def test_custom_function_non_differentiable_output_and_multi_output():
    class SplitMax(Function):
        @staticmethod
        def forward(ctx, a):
            idx = np.argmax(a, keepdims=True).astype(np.int64)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(a)
            return a * 2, a * 3, idx

        @staticmethod
        def backward(ctx, g2, g3, gi):
            return 2 * g2 + 3 * g3

    x = fastnn.tensor([1.0, 5.0], requires_grad=True)
    a, b, i = SplitMax.apply(x)
    assert not i.requires_grad and a.requires_grad
    a.sum().backward()  # b unused: its gradient arrives as zeros
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_gradient_dtype_matches_leaf():
    x = fastnn.ones(3, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == fastnn.float32
    w = fastnn.ones(3, requires_grad=True)
    (w * np.float64(2.0)).sum().backward()
    assert w.grad.dtype == fastnn.float32


def test_grad_of_broadcast_leaf_is_writable_and_owned():
    b = fastnn.zeros(1, 3, requires_grad=True)
    x = fastnn.ones(4, 3)
    (x + b).sum().backward()
    assert b.grad.shape == (1, 3)
    b.grad.numpy()[...] = 0  # optimizers update grads in place
    np.testing.assert_allclose(b.grad.numpy(), 0)


def test_numpy_scalar_keeps_gradients_float32():
    w = fastnn.ones(3, requires_grad=True)
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, g):
            seen.append(g.dtype)
            return g

    (Spy.apply(w) * np.float64(2.0)).sum().backward()
    assert seen == [np.float32]


def test_inplace_method_on_graph_tensor_joins_the_graph_as_pytorch():
    x = fastnn.ones(2, requires_grad=True)
    h = x * 2
    h.add_(1).relu_()  # PyTorch rebases h's history onto the in-place ops
    assert h.tolist() == [3.0, 3.0]
    (h * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_inplace_on_graph_tensor_already_used_raises():
    x = fastnn.ones(2, requires_grad=True)
    h = x * 2
    y = h * h  # saved h for its backward: changing h now would corrupt y's gradient
    with pytest.raises(RuntimeError, match="x = x.add"):
        h.add_(1)
    assert y.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.mul_(2)


def test_augmented_assignment_with_grad_operand_joins_the_graph():
    w = fastnn.tensor([1.0, 2.0], requires_grad=True)
    total = fastnn.zeros(2)
    total += w * w
    total += w
    assert total.requires_grad
    total.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 5.0])


def test_writing_grad_tensor_into_plain_tensor_raises():
    w = fastnn.ones(3, requires_grad=True)
    out = fastnn.zeros(2, 3)
    with pytest.raises(RuntimeError, match="not differentiable"):
        out[0] = w
    with pytest.raises(RuntimeError, match="not differentiable"):
        out[1].copy_(w)
    joined = fastnn.zeros(2, 3)
    joined.add_(w)  # as in PyTorch, a plain tensor updated in place by a grad tensor joins the graph
    joined.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0, 2.0])
    with fastnn.no_grad():
        out[0] = w
        out[1].copy_(w * 2)
    assert out.tolist() == [[1, 1, 1], [2, 2, 2]]


def test_grad_mode_decorator_forms():
    x = fastnn.ones(2, requires_grad=True)

    @fastnn.no_grad
    def bare(a):
        return a * 2

    @fastnn.set_grad_enabled(False)
    def switched_off(a):
        return a * 2

    assert fastnn.is_grad_enabled()  # decorating does not change the global mode
    assert not bare(x).requires_grad and not switched_off(x).requires_grad
    assert fastnn.is_grad_enabled()
    with fastnn.no_grad():
        assert fastnn.enable_grad()(lambda a: a * 2)(x).requires_grad
    fastnn.set_grad_enabled(False)  # plain call form switches until switched back
    assert not fastnn.is_grad_enabled()
    fastnn.set_grad_enabled(True)
    assert fastnn.is_grad_enabled()


def test_second_backward_through_a_freed_graph_raises_as_in_pytorch():
    x = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]))


def test_backward_frees_what_forward_saved():
    x = fastnn.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    w = fastnn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = fastnn.nn.functional.linear(x, w)
    assert y.grad_fn.saved_tensors
    y.sum().backward()
    assert not hasattr(y.grad_fn, "saved_tensors")
