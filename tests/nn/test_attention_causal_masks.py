"""is_causal, key padding masks, read-only / broadcast masks and the nested-tensor arguments of the
attention layers, against PyTorch; which kernel path they take."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.autograd.gradcheck import gradcheck
from fastnn.autograd.native import attention as native

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-4, atol=1e-5)
D_MODEL, HEADS = 8, 2


def _load(ours, theirs):
    ours.load_state_dict({k: fastnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours


def _close(ours, theirs, **tol):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **(tol or TOL))


@pytest.fixture
def kernel_calls(monkeypatch):
    """Records (kernel name, causal, mask, key_mask) of every attention kernel call."""
    calls = []
    for name in ("attention_forward", "attention_tiled_forward"):
        original = getattr(native.attention_kernels, name)

        def spy(q, k, v, mask=None, scale=1.0, causal=False, key_mask=None, _name=name, _fn=original):
            calls.append((_name, causal, mask, key_mask))
            return _fn(q, k, v, mask, scale, causal, key_mask)
        monkeypatch.setattr(native.attention_kernels, name, spy)
    return calls


def _layers(kind, batch_first=True):
    torch.manual_seed(0)
    if kind == "encoder_layer":
        theirs = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first)
        ours = nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first)
    elif kind == "encoder":
        layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0,
                                                                batch_first=batch_first), 2,
                                     enable_nested_tensor=False)
    elif kind == "decoder_layer":
        theirs = torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first)
        ours = nn.TransformerDecoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first)
    elif kind == "decoder":
        theirs = torch.nn.TransformerDecoder(
            torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=batch_first), 2)
        ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D_MODEL, HEADS, 16, dropout=0.0,
                                                                batch_first=batch_first), 2)
    else:
        theirs = torch.nn.Transformer(D_MODEL, HEADS, 1, 1, 16, dropout=0.0, batch_first=batch_first)
        ours = nn.Transformer(D_MODEL, HEADS, 1, 1, 16, dropout=0.0, batch_first=batch_first)
    return _load(ours, theirs), theirs


def _call(kind, layer, x, mem, mask, causal, **kw):
    if kind.startswith("encoder"):
        flag = "is_causal"
        return layer(x, mask, is_causal=causal, **kw) if causal is not None else layer(x, mask, **kw)
    if kind == "transformer":
        return layer(mem, x, tgt_mask=mask, tgt_is_causal=causal, **kw)
    return layer(x, mem, tgt_mask=mask, tgt_is_causal=causal, **kw)


KINDS = ["encoder_layer", "encoder", "decoder_layer", "decoder", "transformer"]


@pytest.mark.parametrize("kind", KINDS)
def test_is_causal_without_a_mask_raises_as_pytorch(kind):
    ours, theirs = _layers(kind)
    x = np.random.default_rng(0).standard_normal((2, 5, D_MODEL)).astype(np.float32)
    with pytest.raises(RuntimeError, match="attn_mask"):
        _call(kind, theirs, torch.tensor(x), torch.tensor(x), None, True)
    with pytest.raises(RuntimeError, match="attn_mask") as err:
        _call(kind, ours, fastnn.tensor(x), fastnn.tensor(x), None, True)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("causal", [True, None, False])
def test_causal_mask_takes_the_causal_kernel_and_matches_pytorch(kind, causal, kernel_calls):
    """A causal mask given (with the hint, detected, or neither) runs the causal kernel path with no
    dense mask, with PyTorch's outputs and gradients."""
    if kind.endswith("layer") and causal is None:
        causal = False  # the layers take a bool
    ours, theirs = _layers(kind)
    rng = np.random.default_rng(1)
    x, mem = (rng.standard_normal((2, 6, D_MODEL)).astype(np.float32) for _ in range(2))
    tx, tmem = torch.tensor(x, requires_grad=True), torch.tensor(mem)
    ox, omem = fastnn.tensor(x, requires_grad=True), fastnn.tensor(mem)
    want = _call(kind, theirs, tx, tmem, torch.nn.Transformer.generate_square_subsequent_mask(6), causal)
    got = _call(kind, ours, ox, omem, nn.Transformer.generate_square_subsequent_mask(6), causal)
    _close(got, want)
    want.sum().backward()
    got.sum().backward()
    _close(ox.grad, tx.grad)
    self_attention = [c for c in kernel_calls if c[0] == "attention_forward" and c[2] is None and c[1]]
    assert self_attention, "no self-attention call took the causal path"


def test_is_causal_hint_replaces_the_mask_as_pytorch():
    """PyTorch trusts the hint when neither key_padding_mask nor weights are asked for: the causal
    kernel runs in place of a mask that is not causal; otherwise the mask is applied."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
    ours = _load(nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True), theirs)
    x = np.random.default_rng(2).standard_normal((2, 5, D_MODEL)).astype(np.float32)
    mask = np.zeros((5, 5), np.float32)
    mask[0, 3] = -np.inf
    kpm = np.zeros((2, 5), bool)
    kpm[1, 4] = True
    for kw in (dict(need_weights=False), dict(need_weights=True), dict(need_weights=False, key_padding_mask=kpm)):
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        okw = {k: fastnn.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        want = theirs(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(mask), is_causal=True, **tkw)[0]
        got = ours(*(fastnn.tensor(x),) * 3, attn_mask=fastnn.tensor(mask), is_causal=True, **okw)[0]
        _close(got, want)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("kpm_kind", ["bool", "float"])
@pytest.mark.parametrize("attn_mask", [None, "2d", "3d"])
def test_key_padding_mask_reaches_the_kernels_per_batch(need_weights, kpm_kind, attn_mask, kernel_calls):
    torch.manual_seed(0)
    N, L, S = 3, 4, 7
    theirs = torch.nn.MultiheadAttention(D_MODEL, HEADS, kdim=5, vdim=3)
    ours = _load(nn.MultiheadAttention(D_MODEL, HEADS, kdim=5, vdim=3), theirs)
    rng = np.random.default_rng(3)
    q = rng.standard_normal((L, N, D_MODEL)).astype(np.float32)
    k = rng.standard_normal((S, N, 5)).astype(np.float32)
    v = rng.standard_normal((S, N, 3)).astype(np.float32)
    pad = rng.random((N, S)) < 0.3
    pad[:, 0] = False
    kpm = pad if kpm_kind == "bool" else np.where(pad, -np.inf, rng.standard_normal((N, S))).astype(np.float32)
    mask = None
    if attn_mask == "2d":
        mask = rng.random((L, S)) < 0.2
    elif attn_mask == "3d":
        mask = np.where(rng.random((N * HEADS, L, S)) < 0.2, -np.inf, 0.5).astype(np.float32)
    tq = torch.tensor(q, requires_grad=True)
    oq = fastnn.tensor(q, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "mismatched key_padding_mask and attn_mask"
        want, want_w = theirs(tq, torch.tensor(k), torch.tensor(v), key_padding_mask=torch.tensor(kpm),
                              attn_mask=None if mask is None else torch.tensor(mask), need_weights=need_weights)
    got, got_w = ours(oq, fastnn.tensor(k), fastnn.tensor(v), key_padding_mask=fastnn.tensor(kpm),
                      attn_mask=None if mask is None else fastnn.tensor(mask), need_weights=need_weights)
    _close(got, want)
    if need_weights:
        _close(got_w, want_w)
    want.sum().backward()
    got.sum().backward()
    _close(oq.grad, tq.grad)
    _, _, dense, key_mask = kernel_calls[-1]
    assert key_mask.shape == (N, S)
    assert dense is None or dense.shape[:2] in ((1, 1), (N, HEADS)) and dense.base is not None or attn_mask == "3d"


def test_tiled_choice_counts_the_whole_problem(monkeypatch, kernel_calls):
    """B=32, H=8, L=S=1000 is tiled (the full path would keep 1 GB of weights) although one head's
    L * S is below any per-head rule; one such head alone stays on the full path."""
    assert native.use_tiled(32 * 8, 1000, 1000, need_weights=False)
    assert not native.use_tiled(1, 1000, 1000, need_weights=False)
    assert not native.use_tiled(32 * 8, 1000, 1000, need_weights=True)
    monkeypatch.setattr(native, "TILED_MIN_LOGITS", 64 * 16 * 16)
    layer = nn.MultiheadAttention(32, 8, batch_first=True)
    x = fastnn.randn(8, 16, 32)
    kpm = fastnn.tensor(np.arange(16)[None, :] >= np.array([16, 9, 12, 3, 16, 16, 1, 8])[:, None])
    layer(x, x, x, key_padding_mask=kpm, need_weights=False)
    layer(x[:7], x[:7], x[:7], key_padding_mask=kpm[:7], need_weights=False)
    assert [c[0] for c in kernel_calls] == ["attention_tiled_forward", "attention_forward"]
    assert kernel_calls[0][3].shape == (8, 16)


def test_sdpa_broadcast_bool_mask_and_read_only_inputs():
    """A (B, H, L, S) bool mask from expand / np.broadcast_to and read-only arrays: PyTorch's values."""
    rng = np.random.default_rng(4)
    B, H, L, S, D = 2, 3, 5, 6, 4
    arrays = [rng.standard_normal((B, H, n, D)).astype(np.float32) for n in (L, S, S)]
    for a in arrays:
        a.flags.writeable = False
    base = rng.random((B, 1, L, S)) < 0.7
    want = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a.copy()) for a in arrays), attn_mask=torch.tensor(base).expand(B, H, L, S))
    for mask in (fastnn.tensor(base).expand(B, H, L, S), fastnn.from_numpy(np.broadcast_to(base, (B, H, L, S)))):
        got = F.scaled_dot_product_attention(*(fastnn.from_numpy(a) for a in arrays), attn_mask=mask)
        _close(got, want)


def test_mha_read_only_3d_mask():
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(D_MODEL, HEADS)
    ours = _load(nn.MultiheadAttention(D_MODEL, HEADS), theirs)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, D_MODEL)).astype(np.float32)
    mask = rng.random((3 * HEADS, 4, 4)) < 0.3
    mask[:, :, 0] = False  # no fully masked row (PyTorch's weights path gives NaN there, fastnn 0)
    mask.flags.writeable = False
    want = theirs(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(mask.copy()))
    got = ours(*(fastnn.tensor(x),) * 3, attn_mask=fastnn.from_numpy(mask))
    _close(got[0], want[0])
    _close(got[1], want[1])


@pytest.mark.parametrize("tiled", [False, True])
def test_sdpa_function_gradcheck_with_key_mask_and_broadcast_mask(tiled, monkeypatch):
    monkeypatch.setattr(native, "TILED_MIN_LOGITS", 1 if tiled else 10**12)
    rng = np.random.default_rng(6)
    q, k, v = (fastnn.tensor(rng.standard_normal((2, 3, n, 3)), dtype=fastnn.float64, requires_grad=True)
               for n in (4, 5, 5))
    mask = np.broadcast_to(np.where(rng.random((1, 3, 4, 5)) < 0.8, 0.0, -np.inf), (2, 3, 4, 5))
    key_mask = np.where(np.array([[1, 1, 1, 0, 1], [1, 0, 1, 1, 1]], bool), 0.0, -np.inf)
    for causal in (False, True):
        assert gradcheck(lambda a, b, c: native.ScaledDotProductAttentionFn.apply(
            a, b, c, None if causal else mask, 0.5, causal, False, key_mask), (q, k, v))


def _encoders(enable_nested_tensor, mask_check, activation="relu"):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=True,
                                             activation=activation),
            2, norm=torch.nn.LayerNorm(D_MODEL), enable_nested_tensor=enable_nested_tensor, mask_check=mask_check)
    with torch.no_grad():
        theirs.norm.bias.normal_()  # a visible final-norm bias: padded positions become norm(0) = bias
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, dropout=0.0, batch_first=True,
                                                            activation=activation),
                                 2, norm=nn.LayerNorm(D_MODEL), enable_nested_tensor=enable_nested_tensor,
                                 mask_check=mask_check)
    return _load(ours, theirs), theirs


@pytest.mark.parametrize("enable_nested_tensor", [True, False])
@pytest.mark.parametrize("mask_check", [True, False])
@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("mode", ["eval", "train", "eval_grad"])
def test_encoder_nested_tensor_arguments_as_pytorch(enable_nested_tensor, mask_check, aligned, mode):
    """PyTorch's nested-tensor path (eval, no gradient, padding mask, no mask) zeroes the padded
    positions and, with mask_check=False, keeps each row's first unpadded-count positions."""
    ours, theirs = _encoders(enable_nested_tensor, mask_check)
    assert ours.use_nested_tensor == theirs.use_nested_tensor == enable_nested_tensor
    assert (ours.enable_nested_tensor, ours.mask_check) == (enable_nested_tensor, mask_check)
    if mode != "train":
        ours.eval()
        theirs.eval()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 6, D_MODEL)).astype(np.float32)
    pad = np.zeros((3, 6), bool)
    pad[1, 4:] = True
    pad[2, (1, 5) if not aligned else (5,)] = True
    grad = mode == "eval_grad"
    with torch.set_grad_enabled(grad):
        want = theirs(torch.tensor(x, requires_grad=grad), src_key_padding_mask=torch.tensor(pad))
    with fastnn.set_grad_enabled(grad):
        got = ours(fastnn.tensor(x, requires_grad=grad), src_key_padding_mask=fastnn.tensor(pad))
    _close(got, want)


def test_nested_eligibility_follows_pytorch():
    for kw, eligible in ((dict(), True), (dict(norm_first=True), False), (dict(batch_first=False), False),
                         (dict(activation="gelu"), True), (dict(activation=lambda t: t), False)):
        args = dict(batch_first=True) | kw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, **args), 1)
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, HEADS, 16, **args), 1)
        assert ours.use_nested_tensor == theirs.use_nested_tensor == eligible
    odd = nn.TransformerEncoder(nn.TransformerEncoderLayer(9, 3, 16, batch_first=True), 1)
    assert not odd.use_nested_tensor
