"""Results do not depend on the thread count, and Python threads using fastnn at once each get their own result."""
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastnn
from fastnn import kernels
from fastnn.kernels import registry
from fastnn.models import LeNet, CharLM, MLP

from conftest import cross_entropy_step

# Kernels whose every output element is computed by one thread in a fixed order, whatever the thread count;
# the others sum through BLAS, whose split of a reduction across threads changes the rounding.
BITWISE = {"softmax_forward", "softmax_backward", "cross_entropy_forward", "cross_entropy_backward",
           "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
           "upsample_nearest2d_forward", "upsample_nearest2d_backward", "adam_step", "sgd_step"}
FLOAT32_TOLERANCE = 1e-5  # of each output's largest magnitude; measured differences are below 1.1e-6


def _outputs(case, threads):
    fastnn.set_num_threads(threads)
    out = case.run(kernels, case.make_inputs(np.random.default_rng(0)))  # fresh: some cases update in place
    return [np.array(a) for a in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.parametrize("case", registry.all_cases(), ids=lambda c: c.name)
def test_one_and_two_threads_agree(case):
    before = fastnn.get_num_threads()
    try:
        one, two = _outputs(case, 1), _outputs(case, 2)
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(one, two):
        if set(case.kernels) <= BITWISE:
            np.testing.assert_array_equal(a, b)
        else:
            scale = float(np.abs(a).max()) if a.size else 1.0
            np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_TOLERANCE * scale)


def _build(kind, seed):
    """A small seeded model and batch (draws from the shared default generator)."""
    rng = np.random.default_rng(seed)
    fastnn.manual_seed(seed)
    if kind == "lenet":
        model, x, y = LeNet(), rng.standard_normal((8, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 8)
    elif kind == "lstm":
        model, x, y = CharLM(12, 8, 16), rng.integers(0, 12, (4, 10)), rng.integers(0, 12, (4, 10))
    else:
        model, x, y = MLP(4, (16,), 3), rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    return model, fastnn.tensor(x), fastnn.tensor(y)


def _train(model, x, y):
    """Three SGD steps (no randomness); the losses and the first parameter's final values."""
    opt = fastnn.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(3):
        loss = cross_entropy_step(model, opt, x, y)
        with fastnn.no_grad():  # one thread's no_grad must not switch off another thread's graph
            model(x)
        losses.append(loss.item())
    return losses, next(iter(model.parameters())).detach().numpy().copy()


def test_python_threads_training_at_once_each_get_their_own_result():
    jobs = [(kind, seed) for kind in ("lenet", "lstm", "mlp") for seed in (0, 1)]
    want = {job: _train(*_build(*job)) for job in jobs}
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def run(job):
        with lock:  # seeding and building share the default generator; training shares nothing
            built = _build(*job)
        start.wait()
        return _train(*built)

    with ThreadPoolExecutor(len(jobs)) as pool:
        got = dict(zip(jobs, pool.map(run, jobs)))
    for job in jobs:
        np.testing.assert_allclose(got[job][0], want[job][0], rtol=1e-5)
        np.testing.assert_allclose(got[job][1], want[job][1], rtol=1e-5, atol=1e-6)


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    done = threading.Event()

    def evaluator():
        with fastnn.no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=evaluator)
    t.start()
    inside.wait(5)
    x = fastnn.ones(2, requires_grad=True)
    seen["records"] = (x * 2).requires_grad
    done.set()
    t.join()
    assert seen["records"] is True
