"""The recurrent kernels on a busy machine: two threads sharing a step's blocks of hidden units
while a busy-looping process competes for the cores must give the one-thread result, bit for bit.

Which thread computes which block then changes from step to step and run to run (a descheduled
thread's blocks are taken by the other, csrc/stepwork.h); each block is still one call with the
same arguments, so no bit may change. Correctness under load, not speed."""
import numpy as np
import pytest

import fastnn
from fastnn import kernels as K
from fastnn.bench.load import background_load


def _lstm(seed=0, T=30, B=16, I=24, H=96):
    """forward outputs, the bias gradient (column sums of the kernel's gate gradients, in a fixed
    order), and the BLAS-made gradients, of one LSTM layer."""
    rng = np.random.default_rng(seed)
    s = 1 / np.sqrt(H)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    w_ih, w_hh = (rng.uniform(-s, s, shape).astype(np.float32) for shape in ((4 * H, I), (4 * H, H)))
    b_ih, b_hh = (rng.uniform(-s, s, 4 * H).astype(np.float32) for _ in range(2))
    h0, c0, g = (rng.standard_normal(shape).astype(np.float32) for shape in ((B, H), (B, H), (T, B, H)))
    out, hn, cn, gates, cells = K.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    gx, gh0, gc0, gw_ih, gw_hh, gb, _ = K.lstm_backward(x, h0, c0, w_ih, w_hh, out, gates, cells, g, None, None)
    return (out, hn, cn, gates, cells, gc0, gb), (gx, gh0, gw_ih, gw_hh)


def _gru(seed=1, T=30, B=16, I=24, H=96):
    rng = np.random.default_rng(seed)
    s = 1 / np.sqrt(H)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    w_ih, w_hh = (rng.uniform(-s, s, shape).astype(np.float32) for shape in ((3 * H, I), (3 * H, H)))
    b_ih, b_hh = (rng.uniform(-s, s, 3 * H).astype(np.float32) for _ in range(2))
    h0, g = (rng.standard_normal(shape).astype(np.float32) for shape in ((B, H), (T, B, H)))
    out, hn, gates = K.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=True)
    gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh = K.gru_backward(x, h0, w_ih, w_hh, out, gates, g, None, reverse=True)
    return (out, hn, gates, gb_ih, gb_hh), (gx, gh0, gw_ih, gw_hh)


def _engine_products():
    """True where float32 products run on csrc/packedgemm.h (the AVX-512 build)."""
    return fastnn.config.config()["vector_build"] == "avx512"


def _with_threads(n, fn):
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(n)
        return fn()
    finally:
        fastnn.set_num_threads(before)


def _long_lstm():
    # many short steps: the step counters run on over 1500 steps (two threads: 8 x 4 x 64 x 64
    # multiply-adds per step, twice the one-thread line)
    return _lstm(seed=3, T=1500, B=8, I=8, H=64)


@pytest.mark.parametrize("run", [_lstm, _gru, _long_lstm], ids=["lstm", "gru", "lstm-1500-steps"])
def test_two_threads_under_load_give_the_one_thread_result(run):
    one = _with_threads(1, run)
    quiet_two = _with_threads(2, run)
    with background_load(1):
        loaded = [_with_threads(2, run) for _ in range(3)]
    for exact, blas in loaded:
        # the recurrence is ours: every bit as on a quiet machine with the same threads, and as on
        # one thread where the input projection is too (the AVX-512 build's GEMM engine); on the
        # lower builds it is a BLAS product, whose last bits may depend on how C is sliced
        for got, same_threads, want in zip(exact, quiet_two[0], one[0]):
            np.testing.assert_array_equal(got, same_threads)
            if _engine_products():
                np.testing.assert_array_equal(got, want)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
        # the GEMMs after the loop: their split depends on the thread count, never on timing
        for got, same_threads, want in zip(blas, quiet_two[1], one[1]):
            np.testing.assert_array_equal(got, same_threads)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_public_lstm_forward_backward_under_load_matches_one_thread():
    # nn.LSTM, two layers, both directions: every kernel call shares its steps between two threads
    rng = np.random.default_rng(2)
    x = rng.standard_normal((25, 12, 20)).astype(np.float32)

    def run():
        fastnn.manual_seed(0)
        lstm = fastnn.nn.LSTM(20, 80, 2, bidirectional=True)
        xt = fastnn.tensor(x, requires_grad=True)
        out, (h, c) = lstm(xt)
        (out.sum() + h.sum()).backward()
        return [out.detach().numpy()], [xt.grad.numpy()] + [p.grad.numpy() for p in lstm.parameters()]

    one = _with_threads(1, run)
    quiet_two = _with_threads(2, run)
    with background_load(1):
        fwd, grads = _with_threads(2, run)
    np.testing.assert_array_equal(fwd[0], quiet_two[0][0])
    if _engine_products():
        np.testing.assert_array_equal(fwd[0], one[0][0])
    else:   # the input projections are BLAS products (see the test above)
        np.testing.assert_allclose(fwd[0], one[0][0], rtol=1e-5, atol=1e-5 * np.abs(one[0][0]).max())
    for got, same_threads in zip(grads, quiet_two[1]):
        np.testing.assert_array_equal(got, same_threads)
    for got, want in zip(grads, one[1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
