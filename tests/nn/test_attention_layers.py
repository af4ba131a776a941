"""Attention Functions and layers: gradcheck, the tiled path, the reference backend, bad input."""
import numpy as np
import pytest

import fastnn as torch
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.autograd.gradcheck import gradcheck
from fastnn.autograd.native import attention as native
from fastnn.kernels.backend import set_backend


def _t(rng, *shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("tiled", [False, True])
def test_sdpa_gradcheck(causal, tiled, monkeypatch):
    monkeypatch.setattr(native, "TILED_MIN_LOGITS", 1 if tiled else 10**12)
    rng = np.random.default_rng(0)
    q, k, v = _t(rng, 2, 2, 4, 3), _t(rng, 2, 2, 5, 3), _t(rng, 2, 2, 5, 2)
    mask = None if causal else torch.tensor(rng.random((4, 5)) < 0.8)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask, is_causal=causal),
                     (q, k, v))


def test_weights_output_gradcheck():
    rng = np.random.default_rng(1)
    q, k, v = _t(rng, 3, 4, 3), _t(rng, 3, 6, 3), _t(rng, 3, 6, 2)
    m = rng.standard_normal((1, 4, 6))
    assert gradcheck(lambda a, b, c: native.ScaledDotProductAttentionFn.apply(a, b, c, m, 0.7, False, True),
                     (q, k, v))


def test_layer_norm_gradcheck():
    rng = np.random.default_rng(2)
    x, w, b = _t(rng, 3, 2, 5), _t(rng, 2, 5), _t(rng, 2, 5)
    assert gradcheck(lambda a, c, d: F.layer_norm(a, (2, 5), c, d, 1e-3), (x, w, b))
    assert gradcheck(lambda a: F.layer_norm(a, 5), (x,))


def test_mha_gradcheck():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(6, 2, kdim=4, vdim=3, batch_first=True, add_bias_kv=True, dtype=torch.float64)
    rng = np.random.default_rng(3)
    q, k, v = _t(rng, 2, 3, 6), _t(rng, 2, 4, 4), _t(rng, 2, 4, 3)
    pad = torch.tensor(np.array([[False, False, True, False], [False, False, False, False]]))
    assert gradcheck(lambda a, b, c: mha(a, b, c, key_padding_mask=pad, average_attn_weights=False), (q, k, v))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_layers_gradcheck(norm_first):
    torch.manual_seed(0)
    enc = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first,
                                     dtype=torch.float64)
    dec = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first, dtype=torch.float64)
    rng = np.random.default_rng(4)
    src, tgt = _t(rng, 3, 2, 4), _t(rng, 2, 2, 4)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=torch.float64)
    assert gradcheck(lambda s, t: dec(t, enc(s), tgt_mask=mask), (src, tgt))


def test_tiled_and_full_paths_agree_through_the_function(monkeypatch):
    rng = np.random.default_rng(5)
    q, k, v = _t(rng, 2, 40, 8), _t(rng, 2, 70, 8), _t(rng, 2, 70, 8)
    grads = []
    for threshold in (10**12, 1):
        monkeypatch.setattr(native, "TILED_MIN_LOGITS", threshold)
        for t in (q, k, v):
            t.grad = None
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out.sum().backward()
        grads.append([out.detach().numpy()] + [t.grad.numpy().copy() for t in (q, k, v)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_reference_backend_runs_the_same_model():
    torch.manual_seed(0)
    model = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = torch.randn(2, 5, 8, requires_grad=True)
    outs = []
    try:
        for backend in ("compiled", "reference"):
            set_backend(backend)
            x.grad = None
            y = model(x, src_mask=nn.Transformer.generate_square_subsequent_mask(5))
            y.sum().backward()
            outs.append((y.detach().numpy(), x.grad.numpy().copy()))
    finally:
        set_backend("compiled")
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_bad_input_raises_clear_errors():
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="head dim"):
        F.scaled_dot_product_attention(q, torch.randn(2, 5, 3), torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match="value length"):
        F.scaled_dot_product_attention(q, torch.randn(2, 5, 4), torch.randn(2, 6, 4))
    with pytest.raises(ValueError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(ValueError, match="num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(4, 2)
    with pytest.raises(ValueError, match="value length"):
        mha(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(4, 2, 4))
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(5, 2, 4),
            key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="attn_mask"):
        mha(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(5, 2, 4), attn_mask=torch.zeros(3, 4))
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(torch.randn(2, 3), (4,))


def test_models_forward_and_sample():
    from fastnn.models import TransformerLM, TransformerClassifier
    torch.manual_seed(0)
    for positional in ("learned", "sinusoidal"):
        lm = TransformerLM(11, d_model=8, nhead=2, num_layers=1, max_len=6, positional=positional)
        assert lm(torch.tensor(np.zeros((2, 6), np.int64))).shape == (2, 6, 11)
        out = lm.sample([1, 2, 3], 8, seed=0)
        assert out.shape == (8,) and out.min() >= 0 and out.max() < 11
    clf = TransformerClassifier(11, 3, d_model=8, nhead=2, num_layers=1)
    ids = torch.tensor(np.array([[4, 5, 0, 0], [1, 2, 3, 6]]))
    logits = clf(ids)
    assert logits.shape == (2, 3)
    logits.sum().backward()
    # padding positions do not change the prediction
    longer = torch.tensor(np.array([[4, 5, 0, 0, 0, 0], [1, 2, 3, 6, 0, 0]]))
    clf.eval()
    np.testing.assert_allclose(clf(ids).detach().numpy(), clf(longer).detach().numpy(), rtol=1e-5, atol=1e-6)
