"""Attention layers loaded from a PyTorch state_dict give PyTorch's outputs and gradients."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-4, atol=1e-5)


def _load(ours, theirs):
    ours.load_state_dict({k: fastnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours


def _pair(rng, *shape):
    a = rng.standard_normal(shape).astype(np.float32)
    return fastnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("lengths", [(7, 7), (5, 9), (9, 5)])
def test_sdpa_matches_torch(causal, lengths):
    rng = np.random.default_rng(0)
    Lq, Lk = lengths
    (q, tq), (k, tk), (v, tv) = _pair(rng, 2, 3, Lq, 8), _pair(rng, 2, 3, Lk, 8), _pair(rng, 2, 3, Lk, 5)
    mask = None if causal else rng.random((2, 1, Lq, Lk)) < 0.8
    mask_f = None if mask is None else fastnn.tensor(mask)
    mask_t = None if mask is None else torch.tensor(mask)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask_f, is_causal=causal, scale=0.4)
    ref = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=mask_t, is_causal=causal, scale=0.4)
    _close(out, ref)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(fastnn.tensor(g))
    ref.backward(torch.tensor(g))
    for a, b in ((q, tq), (k, tk), (v, tv)):
        _close(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kv_dims", [(None, None), (5, 3)])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_matches_torch(batch_first, kv_dims, need_weights, average):
    torch.manual_seed(0)
    kdim, vdim = kv_dims
    theirs = torch.nn.MultiheadAttention(8, 2, kdim=kdim, vdim=vdim, batch_first=batch_first, add_bias_kv=True)
    ours = _load(nn.MultiheadAttention(8, 2, kdim=kdim, vdim=vdim, batch_first=batch_first, add_bias_kv=True), theirs)
    rng = np.random.default_rng(1)
    B, L, S = 3, 4, 6
    order = (lambda n, e: (B, n, e)) if batch_first else (lambda n, e: (n, B, e))
    (q, tq), (k, tk), (v, tv) = _pair(rng, *order(L, 8)), _pair(rng, *order(S, kdim or 8)), \
        _pair(rng, *order(S, vdim or 8))
    pad = np.zeros((B, S), bool)
    pad[0, -2:] = True
    attn = rng.standard_normal((L, S)).astype(np.float32)
    out, w = ours(q, k, v, key_padding_mask=fastnn.tensor(pad), attn_mask=fastnn.tensor(attn),
                  need_weights=need_weights, average_attn_weights=average)
    tout, tw = theirs(tq, tk, tv, key_padding_mask=torch.tensor(pad), attn_mask=torch.tensor(attn),
                      need_weights=need_weights, average_attn_weights=average)
    _close(out, tout)
    if need_weights:
        _close(w, tw)
    else:
        assert w is None and tw is None
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in ((q, tq), (k, tk), (v, tv)):
        _close(a.grad, b.grad)
    for name, p in theirs.named_parameters():
        _close(dict(ours.named_parameters())[name].grad, p.grad)


def test_mha_bool_attn_mask_and_unbatched():
    torch.manual_seed(1)
    theirs = torch.nn.MultiheadAttention(6, 3)
    ours = _load(nn.MultiheadAttention(6, 3), theirs)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    causal = np.triu(np.ones((5, 5), bool), 1)
    out, w = ours(*(fastnn.tensor(x),) * 3, attn_mask=fastnn.tensor(causal))
    tout, tw = theirs(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(causal))
    _close(out, tout)
    _close(w, tw)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_decoder_layers_match_torch(norm_first, activation):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    t_enc, t_dec = torch.nn.TransformerEncoderLayer(8, 2, **kw), torch.nn.TransformerDecoderLayer(8, 2, **kw)
    enc, dec = _load(nn.TransformerEncoderLayer(8, 2, **kw), t_enc), _load(nn.TransformerDecoderLayer(8, 2, **kw), t_dec)
    rng = np.random.default_rng(3)
    (src, tsrc), (tgt, ttgt) = _pair(rng, 2, 5, 8), _pair(rng, 2, 4, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    out = dec(tgt, enc(src, src_key_padding_mask=fastnn.tensor(pad)), tgt_mask=mask,
              memory_key_padding_mask=fastnn.tensor(pad))
    ref = t_dec(ttgt, t_enc(tsrc, src_key_padding_mask=torch.tensor(pad)), tgt_mask=tmask,
                memory_key_padding_mask=torch.tensor(pad))
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(src.grad, tsrc.grad)
    _close(tgt.grad, ttgt.grad)


def test_transformer_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0)
    ours = _load(nn.Transformer(8, 2, 2, 2, 16, dropout=0.0), theirs)
    rng = np.random.default_rng(4)
    (src, tsrc), (tgt, ttgt) = _pair(rng, 6, 2, 8), _pair(rng, 5, 2, 8)
    out = ours(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(5))
    ref = theirs(tsrc, ttgt, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(5))
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(src.grad, tsrc.grad)
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


def test_layer_norm_and_gelu_match_torch():
    rng = np.random.default_rng(5)
    (x, tx) = _pair(rng, 3, 4, 6)
    theirs = torch.nn.LayerNorm((4, 6))
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours = _load(nn.LayerNorm((4, 6)), theirs)
    out, ref = ours(x), theirs(tx)
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(x.grad, tx.grad)
    _close(ours.weight.grad, theirs.weight.grad)
    _close(F.gelu(x, approximate="tanh"), torch.nn.functional.gelu(tx, approximate="tanh"))


def test_layer_norm_parameter_grads_when_the_input_needs_none():
    # the kernel then skips the input gradient (need_input): the parameters' must not change
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 8)).astype(np.float32)
    theirs = torch.nn.LayerNorm(8)
    with torch.no_grad():
        theirs.weight.normal_()
    ours = _load(nn.LayerNorm(8), theirs)
    xs = fastnn.tensor(x)
    (ours(xs) ** 2).sum().backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    assert xs.grad is None
    _close(ours.weight.grad, theirs.weight.grad)
    _close(ours.bias.grad, theirs.bias.grad)
