"""Which kernel path F.scaled_dot_product_attention takes below TILED_MIN_LOGITS (causal attention from
TILED_MIN_LENGTH rows on, and forward-only calls in the AVX-512 build, run tiled), and that the shapes it
moves to the tiled path (lengths not a multiple of a tile, float32 and float64, masks, NaN) give PyTorch's
values and gradients there."""
import numpy as np
import pytest

import fastnn
from fastnn.nn import functional as F
from fastnn.autograd.native import attention as native

torch = pytest.importorskip("torch")


@pytest.fixture
def paths(monkeypatch):
    """Records the name of every attention forward kernel called."""
    calls = []
    for name in ("attention_forward", "attention_tiled_forward"):
        original = getattr(native.attention_kernels, name)

        def spy(*args, _name=name, _fn=original):
            calls.append(_name)
            return _fn(*args)
        monkeypatch.setattr(native.attention_kernels, name, spy)
    return calls


@pytest.mark.parametrize("build", ["baseline", "avx2", "avx512"])
def test_rule(monkeypatch, build):
    monkeypatch.setattr(native, "vector_build", lambda: build)
    assert native.use_tiled(64, 256, 256, False, causal=True, need_grad=True)
    assert native.use_tiled(64, 128, 128, False, causal=True, need_grad=False)
    assert not native.use_tiled(64, 127, 256, False, causal=True)  # too few query rows
    assert not native.use_tiled(64, 256, 256, True, causal=True)  # the weights are asked for
    assert not native.use_tiled(64, 256, 256, False, causal=False, need_grad=True)
    assert native.use_tiled(64, 256, 256, False, causal=False, need_grad=False) == (build == "avx512")
    assert native.use_tiled(64, 1024, 1024, False, causal=False, need_grad=True)  # 64M logits


def _inputs(rng, dtype, shape_q, shape_kv):
    q = rng.standard_normal(shape_q).astype(dtype)
    k, v = (rng.standard_normal(shape_kv).astype(dtype) for _ in range(2))
    return q, k, v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("L", [130, 300])
def test_causal_training_runs_tiled_with_pytorch_values_and_gradients(paths, dtype, L):
    rng = np.random.default_rng(L)
    q, k, v = _inputs(rng, dtype, (2, 3, L, 24), (2, 3, L, 24))
    g = rng.standard_normal((2, 3, L, 24)).astype(dtype)
    ours = [fastnn.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, is_causal=True)
    out.backward(fastnn.tensor(g))
    assert paths == ["attention_tiled_forward"]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    want = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True)
    want.backward(torch.tensor(g))
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), **tol)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def test_forward_only_follows_the_build(paths):
    rng = np.random.default_rng(1)
    q, k, v = _inputs(rng, np.float32, (2, 2, 200, 16), (2, 2, 150, 16))
    mask = rng.random((200, 150)) < 0.8
    with fastnn.no_grad():
        out = F.scaled_dot_product_attention(*(fastnn.tensor(a) for a in (q, k, v)), attn_mask=fastnn.tensor(mask))
    tiled = fastnn._runtime.vector_build() == "avx512"
    assert paths == ["attention_tiled_forward" if tiled else "attention_forward"]
    want = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)),
                                                            attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=2e-4, atol=2e-5)
    # with a gradient to take, the same call keeps the full path
    paths.clear()
    F.scaled_dot_product_attention(fastnn.tensor(q, requires_grad=True), fastnn.tensor(k), fastnn.tensor(v))
    assert paths == ["attention_forward"]


def test_causal_nan_gradient_matches_pytorch_on_the_tiled_path(paths):
    rng = np.random.default_rng(2)
    q, k, v = _inputs(rng, np.float32, (1, 2, 260, 8), (1, 2, 260, 8))
    g = rng.standard_normal((1, 2, 260, 8)).astype(np.float32)
    g[0, 1, 20, 5] = np.nan
    ours = [fastnn.tensor(a, requires_grad=True) for a in (q, k, v)]
    F.scaled_dot_product_attention(*ours, is_causal=True).backward(fastnn.tensor(g))
    assert paths == ["attention_tiled_forward"]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True).backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(a.grad.numpy()), np.isnan(b.grad.numpy()))
