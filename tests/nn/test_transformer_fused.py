"""The Transformer layers' fused paths (self-attention on one QKV GEMM, residual add + LayerNorm, the
ReLU feed-forward block with its dropout) against PyTorch's layers, values and gradients, float64
gradchecks of the fused Functions, and the module calls kept where hooks or subclasses need them."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.autograd.gradcheck import gradcheck
from fastnn.autograd.native.norm import AddLayerNormFn
from fastnn.autograd.native.feedforward import FeedForwardFn
from fastnn.autograd.native import heads as native_heads
from fastnn.nn.transformer_fused import add_norm

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture
def calls(monkeypatch):
    """How often each fused Function's forward ran."""
    seen = {}
    for cls in (native_heads.SplitHeadsFn, AddLayerNormFn, FeedForwardFn):
        fwd = cls.forward

        def spy(*args, _fwd=fwd, _name=cls.__name__):
            seen[_name] = seen.get(_name, 0) + 1
            return _fwd(*args)
        monkeypatch.setattr(cls, "forward", staticmethod(spy))
    return seen


def _load(ours, theirs):
    ours.load_state_dict({k: fastnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours


def _pair(a):
    return fastnn.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _close(ours, theirs, tol=TOL):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)


def _compare_grads(ours, theirs, pairs):
    for a, b in pairs:
        _close(a.grad, b.grad)
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert (mine[name].grad is None) == (p.grad is None), name
        if p.grad is not None:
            _close(mine[name].grad, p.grad)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("masks", ["none", "float", "bool_per_head", "causal_hint", "padding"])
def test_self_attention_direct_path_matches_torch(batch_first, bias, masks, calls):
    torch.manual_seed(0)
    N, L, E, H = 3, 5, 12, 3
    theirs = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
    ours = _load(nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first), theirs)
    rng = np.random.default_rng(1)
    x, tx = _pair(rng.standard_normal((N, L, E) if batch_first else (L, N, E)).astype(np.float32))
    kw, tkw = {}, {}
    if masks == "float":
        m = rng.standard_normal((L, L)).astype(np.float32)
        kw, tkw = dict(attn_mask=fastnn.tensor(m)), dict(attn_mask=torch.tensor(m))
    elif masks == "bool_per_head":
        m = rng.random((N * H, L, L)) < 0.3
        m[..., 0] = False  # every query keeps a key
        kw, tkw = dict(attn_mask=fastnn.tensor(m)), dict(attn_mask=torch.tensor(m))
    elif masks == "causal_hint":
        kw = dict(attn_mask=nn.Transformer.generate_square_subsequent_mask(L), is_causal=True)
        tkw = dict(attn_mask=torch.nn.Transformer.generate_square_subsequent_mask(L), is_causal=True)
    elif masks == "padding":
        pad = np.zeros((N, L), bool)
        pad[1, -2:] = True
        kw, tkw = dict(key_padding_mask=fastnn.tensor(pad)), dict(key_padding_mask=torch.tensor(pad))
    out, w = ours(x, x, x, need_weights=False, **kw)
    tout, _ = theirs(tx, tx, tx, need_weights=False, **tkw)
    assert w is None and calls.get("SplitHeadsFn") == 1
    _close(out, tout)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    _compare_grads(ours, theirs, [(x, tx)])


def test_self_attention_takes_the_general_path_when_it_must(calls):
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = fastnn.randn(2, 3, 8)
    mha(x, x, x)  # weights asked for
    mha(x, x.clone(), x, need_weights=False)  # not one tensor
    assert "SplitHeadsFn" not in calls
    mha.eval()
    mha(x, x, x, need_weights=False)
    assert calls["SplitHeadsFn"] == 1


def test_self_attention_direct_path_gradcheck(calls):
    fastnn.manual_seed(0)
    mha = nn.MultiheadAttention(6, 2, dtype=fastnn.float64)
    rng = np.random.default_rng(2)
    x = fastnn.tensor(rng.standard_normal((4, 2, 6)), requires_grad=True)
    pad = fastnn.tensor(np.array([[False, False, True, False], [False] * 4]))
    assert gradcheck(lambda a: mha(a, a, a, key_padding_mask=pad, need_weights=False)[0], (x,))
    assert calls["SplitHeadsFn"] >= 1


@pytest.mark.parametrize("affine", ["both", "no_bias", "none"])
@pytest.mark.parametrize("return_sum", [False, True])
def test_add_norm_matches_torch(affine, return_sum, calls):
    rng = np.random.default_rng(3)
    norm = nn.LayerNorm(16, eps=1e-4, elementwise_affine=affine != "none", bias=affine == "both")
    tnorm = torch.nn.LayerNorm(16, eps=1e-4, elementwise_affine=affine != "none", bias=affine == "both")
    if affine != "none":
        tnorm.weight.data = torch.tensor(rng.standard_normal(16).astype(np.float32))
        if affine == "both":
            tnorm.bias.data = torch.tensor(rng.standard_normal(16).astype(np.float32))
        _load(norm, tnorm)
    (x, tx), (r, tr) = (_pair(rng.standard_normal((2, 7, 16)).astype(np.float32) * 3 + 1) for _ in range(2))
    got = add_norm(x, r, norm, return_sum)
    ts = tx + tr
    ty = tnorm(ts)
    assert calls["AddLayerNormFn"] == 1
    gy, gs = (rng.standard_normal((2, 7, 16)).astype(np.float32) for _ in range(2))
    if return_sum:
        y, s = got
        _close(s, ts)
        (y * fastnn.tensor(gy) + s * fastnn.tensor(gs)).sum().backward()
        (ty * torch.tensor(gy) + ts * torch.tensor(gs)).sum().backward()
    else:
        y = got
        y.backward(fastnn.tensor(gy))
        ty.backward(torch.tensor(gy))
    _close(y, ty)
    _compare_grads(norm, tnorm, [(x, tx), (r, tr)])


def test_add_norm_gradcheck():
    rng = np.random.default_rng(4)
    t = lambda *s: fastnn.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    x, r, w, b = t(3, 2, 5), t(3, 2, 5), t(2, 5), t(2, 5)
    assert gradcheck(lambda a, c, d, e: AddLayerNormFn.apply(a, c, d, e, 1e-3, 10, True), (x, r, w, b))
    assert gradcheck(lambda a, c: AddLayerNormFn.apply(a, c, None, None, 1e-3, 5, False), (x, r))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_fused_paths_match_torch(norm_first, activation, calls):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=24, dropout=0.0, norm_first=norm_first, batch_first=True, activation=activation)
    theirs = torch.nn.TransformerEncoderLayer(16, 4, **kw)
    ours = _load(nn.TransformerEncoderLayer(16, 4, **kw), theirs)
    rng = np.random.default_rng(5)
    x, tx = _pair(rng.standard_normal((3, 6, 16)).astype(np.float32))
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    out = ours(x, src_mask=mask, is_causal=True)
    tout = theirs(tx, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(6), is_causal=True)
    assert calls == {"SplitHeadsFn": 1, "AddLayerNormFn": 1 if norm_first else 2, "FeedForwardFn": 1}
    _close(out, tout)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    _compare_grads(ours, theirs, [(x, tx)])


def test_decoder_layer_fused_paths_match_torch(calls):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=24, dropout=0.0, norm_first=True)
    theirs = torch.nn.TransformerDecoderLayer(16, 4, **kw)
    ours = _load(nn.TransformerDecoderLayer(16, 4, **kw), theirs)
    rng = np.random.default_rng(6)
    (t, tt), (m, tm) = _pair(rng.standard_normal((5, 2, 16)).astype(np.float32)), \
        _pair(rng.standard_normal((7, 2, 16)).astype(np.float32))
    out, tout = ours(t, m), theirs(tt, tm)
    assert calls == {"SplitHeadsFn": 1, "AddLayerNormFn": 2, "FeedForwardFn": 1}
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    _compare_grads(ours, theirs, [(t, tt), (m, tm)])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_fused_dropout_gives_the_unfused_layer_numbers(norm_first, activation, calls):
    """In training with dropout the fused layer draws the same masks at the same points as the module
    calls do (a forward hook on every submodule forces those), so the numbers are the same."""
    fastnn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.3, norm_first=norm_first, activation=activation)
    x = fastnn.randn(5, 2, 16, requires_grad=True)
    fastnn.manual_seed(7)
    out = layer(x)
    out.backward(fastnn.ones_like(out))
    fused = (out.detach().numpy().copy(), x.grad.numpy().copy(), layer.linear1.weight.grad.numpy().copy())
    assert calls["FeedForwardFn"] == 1 and calls["AddLayerNormFn"] >= 1
    x.grad = None
    layer.zero_grad()
    hooks = [m.register_forward_hook(lambda *a: None) for m in (layer.linear1, layer.norm1, layer.norm2)]
    fastnn.manual_seed(7)
    out = layer(x)
    out.backward(fastnn.ones_like(out))
    assert calls["FeedForwardFn"] == 1 and calls["AddLayerNormFn"] == (1 if norm_first else 2)
    for h in hooks:
        h.remove()
    np.testing.assert_allclose(out.detach().numpy(), fused[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), fused[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(layer.linear1.weight.grad.numpy(), fused[2], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_feed_forward_gradcheck_with_dropout(activation):
    rng = np.random.default_rng(8)
    t = lambda *s: fastnn.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    x, w1, b1, w2, b2 = t(3, 4, 5), t(7, 5), t(7), t(5, 7), t(5)
    for p in (0.0, 0.4):
        assert gradcheck(lambda *a: FeedForwardFn.apply(*a, activation, p, 12345), (x, w1, b1, w2, b2))


def test_hooked_or_subclassed_modules_keep_their_calls(calls):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    seen = []
    layer.norm1.register_forward_hook(lambda m, i, o: seen.append("norm1"))
    layer.linear2.register_forward_hook(lambda m, i, o: seen.append("linear2"))
    layer(fastnn.randn(3, 2, 8))
    assert seen == ["norm1", "linear2"]
    assert calls["AddLayerNormFn"] == 1 and "FeedForwardFn" not in calls


@pytest.mark.parametrize("final_norm", [True, False])
def test_pre_norm_stack_chains_residual_adds_into_the_next_norm(final_norm, calls):
    """A pre-norm encoder stack fuses each layer's closing residual add into the next layer's first norm
    (the last one's into the stack's norm): PyTorch's values and gradients, 2 fused adds per layer."""
    torch.manual_seed(0)
    kw = dict(dim_feedforward=24, dropout=0.0, norm_first=True, batch_first=True)
    t_stack = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 4, **kw), 3,
                                          norm=torch.nn.LayerNorm(16) if final_norm else None,
                                          enable_nested_tensor=False)
    stack = _load(nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, **kw), 3,
                                        norm=nn.LayerNorm(16) if final_norm else None), t_stack)
    rng = np.random.default_rng(9)
    x, tx = _pair(rng.standard_normal((2, 6, 16)).astype(np.float32))
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    out = stack(x, mask=mask)
    tout = t_stack(tx, mask=torch.nn.Transformer.generate_square_subsequent_mask(6))
    assert calls["AddLayerNormFn"] == (6 if final_norm else 5)
    _close(out, tout)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    _compare_grads(stack, t_stack, [(x, tx)])
    seen = []
    stack.layers[1].register_forward_hook(lambda m, i, o: seen.append(1))
    np.testing.assert_allclose(stack(x, mask=mask).detach().numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert seen == [1]  # a hooked layer: the layers are called as modules


@pytest.mark.parametrize("batch_first", [True, False])
def test_self_attention_dropout_gives_the_general_path_numbers(batch_first, calls):
    """In training with attention dropout the direct path draws the weights' dropout as the general path
    does (forced here by passing key as a different tensor of the same values)."""
    fastnn.manual_seed(0)
    mha = nn.MultiheadAttention(12, 3, dropout=0.4, batch_first=batch_first)
    x = fastnn.randn(3, 5, 12, requires_grad=True)  # (N, L, E) or (L, N, E)
    pad = np.zeros((3, 5) if batch_first else (5, 3), bool)
    pad[1, -2:] = True
    kpm = fastnn.tensor(pad)
    results = []
    for direct in (True, False):
        fastnn.manual_seed(11)
        out = mha(x, x, x, key_padding_mask=kpm, need_weights=False)[0] if direct else \
            mha(x, x.detach().clone().requires_grad_(), x, key_padding_mask=kpm, need_weights=False)[0]
        out.backward(fastnn.ones_like(out))
        results.append((out.detach().numpy().copy(), mha.in_proj_weight.grad.numpy().copy()))
        mha.zero_grad()
    assert calls["SplitHeadsFn"] == 1
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_subclass_keeps_its_branch_methods():
    called = []

    class Layer(nn.TransformerEncoderLayer):
        def _sa_block(self, *args, **kwargs):
            called.append("sa")
            return super()._sa_block(*args, **kwargs)

        def _ff_block(self, x):
            called.append("ff")
            return super()._ff_block(x) * 0.0

    fastnn.manual_seed(0)
    layer = Layer(8, 2, 16, dropout=0.0)
    x = fastnn.randn(3, 2, 8)
    out = layer(x)
    assert called == ["sa", "ff"]
    fastnn.manual_seed(0)
    plain = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    want = plain.norm1(x + plain._sa_block(x, None, None))
    np.testing.assert_allclose(out.detach().numpy(), plain.norm2(want).detach().numpy(), rtol=1e-5, atol=1e-6)
