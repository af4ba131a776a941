"""Tensor.register_post_accumulate_grad_hook: once per backward, after the leaf's last gradient arrived."""
import numpy as np

import fastnn
from fastnn.autograd.hooks import queue_callback


def test_hook_sees_the_complete_gradient_once():
    w = fastnn.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    # w feeds three nodes, so the engine accumulates into .grad three times.
    ((w * 3).sum() + (w * w).sum() + w.exp().sum()).backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 3 + 2 * np.array([1.0, 2.0]) + np.exp([1.0, 2.0]), rtol=1e-6)


def test_hook_order_follows_backward_and_handles_remove():
    a = fastnn.tensor([1.0], requires_grad=True)
    b = fastnn.tensor([2.0], requires_grad=True)
    order = []
    ha = a.register_post_accumulate_grad_hook(lambda t: order.append("a"))
    b.register_post_accumulate_grad_hook(lambda t: order.append("b"))
    ((a * 2).exp() * b).sum().backward()
    assert order == ["b", "a"]  # b's gradient is complete before backward reaches a
    ha.remove()
    order.clear()
    ((a * 2).exp() * b).sum().backward()
    assert order == ["b"]


def test_no_hook_without_a_gradient_and_callbacks_run_after_every_hook():
    used = fastnn.tensor([1.0], requires_grad=True)
    unused = fastnn.tensor([1.0], requires_grad=True)
    events = []
    unused.register_post_accumulate_grad_hook(lambda t: events.append("unused"))

    def hook(t):
        events.append("used")
        queue_callback(lambda: events.append("end of backward"))
    used.register_post_accumulate_grad_hook(hook)
    (used * 2 + fastnn.tensor([0.0]) * unused.detach()).sum().backward()
    assert events == ["used", "end of backward"]


def test_hook_on_a_leaf_root_and_a_clear_error_on_non_leaves():
    w = fastnn.tensor(3.0, requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    w.backward()
    assert seen == [1.0]
    y = w * 2
    try:
        y.register_post_accumulate_grad_hook(print)
    except RuntimeError as err:
        assert "non-leaf" in str(err)
    else:
        raise AssertionError("hook accepted on a non-leaf")


def test_hooks_do_not_keep_their_tensor_alive():
    import gc
    import weakref
    from fastnn.autograd import hooks
    w = fastnn.tensor([1.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)
    gone = weakref.ref(w)
    before = len(hooks._hooks)
    del w
    gc.collect()
    assert gone() is None and len(hooks._hooks) == before - 1
