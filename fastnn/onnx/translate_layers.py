"""ONNX translations of the layer Functions (linear, embedding, convolution, pooling, normalisation, attention,
recurrent layers): one ONNX operator where ONNX has the layer, a short composition where it does not."""
import numpy as np

from ..autograd.tensor import Tensor
from .translate_ops import TRANSLATIONS, translates


def _constant_weight(g, w, what):
    """A weight as a NumPy array (recurrent layers reorder gate blocks, which needs the values)."""
    if not isinstance(w, Tensor) or g.is_traced(w):
        raise NotImplementedError(f"ONNX export of {what} needs its weights to be parameters, not computed values")
    return w._data


@translates("LinearFn")
def _linear(g, args, outs):
    x, w, b = args
    if x.ndim == 2:
        inputs = [g.name_of(x), g.name_of(w)] + ([g.name_of(b)] if b is not None else [])
        return [g.node("Gemm", inputs, transB=1)]
    y = g.node("MatMul", [g.name_of(x), g.node("Transpose", [g.name_of(w)], perm=[1, 0])])
    return [g.node("Add", [y, g.name_of(b)]) if b is not None else y]


@translates("EmbeddingFn")
def _embedding(g, args, outs):
    idx, weight, _padding_idx = args
    return [g.node("Gather", [g.name_of(weight), g.name_of(idx)], axis=0)]


@translates("DropoutFn")
def _dropout(g, args, outs):
    raise NotImplementedError("dropout in training mode: export the model in eval mode (the default)")


@translates("Conv2dFn")
def _conv(g, args, outs):
    x, w, b, stride, padding, dilation, groups = args
    if isinstance(padding, str):
        raise NotImplementedError(f"ONNX export of conv2d with padding={padding!r}")
    ph, pw = padding
    inputs = [g.name_of(x), g.name_of(w)] + ([g.name_of(b)] if b is not None else [])
    return [g.node("Conv", inputs, strides=list(stride), pads=[ph, pw, ph, pw], dilations=list(dilation),
                   group=int(groups), kernel_shape=list(w.shape[2:]))]


@translates("ConvTranspose2dFn")
def _conv_transpose(g, args, outs):
    x, w, b, stride, padding, output_padding, dilation, groups = args
    ph, pw = padding
    inputs = [g.name_of(x), g.name_of(w)] + ([g.name_of(b)] if b is not None else [])
    return [g.node("ConvTranspose", inputs, strides=list(stride), pads=[ph, pw, ph, pw],
                   output_padding=list(output_padding), dilations=list(dilation), group=int(groups),
                   kernel_shape=list(w.shape[2:]))]


@translates("MaxPool2dFn")
def _max_pool(g, args, outs):
    x, kernel, stride, padding, dilation, ceil_mode = args
    ph, pw = padding
    return [g.node("MaxPool", [g.name_of(x)], kernel_shape=list(kernel), strides=list(stride),
                   pads=[ph, pw, ph, pw], dilations=list(dilation), ceil_mode=int(bool(ceil_mode)))]


@translates("AvgPool2dFn")
def _avg_pool(g, args, outs):
    x, kernel, stride, padding, ceil_mode, count_include_pad = args
    ph, pw = padding
    return [g.node("AveragePool", [g.name_of(x)], kernel_shape=list(kernel), strides=list(stride),
                   pads=[ph, pw, ph, pw], ceil_mode=int(bool(ceil_mode)),
                   count_include_pad=int(bool(count_include_pad)))]


@translates("UpsampleNearestFn")
def _upsample(g, args, outs):
    x, fh, fw = args
    scales = g.constant(np.array([1, 1, fh, fw], np.float32))
    return [g.node("Resize", [g.name_of(x), "", scales], mode="nearest", nearest_mode="floor",
                   coordinate_transformation_mode="asymmetric")]


@translates("PadFn")
def _pad(g, args, outs):
    x, widths, value = args
    # widths: PyTorch's (last-dim left, last-dim right, next-to-last left, ...)
    begin, end = [0] * x.ndim, [0] * x.ndim
    for i in range(len(widths) // 2):
        begin[x.ndim - 1 - i], end[x.ndim - 1 - i] = int(widths[2 * i]), int(widths[2 * i + 1])
    return [g.node("Pad", [g.name_of(x), g.ints(begin + end), g.name_of(float(value), x)], mode="constant")]


@translates("LayerNormFn")
def _layer_norm(g, args, outs):
    x, weight, bias, eps, size = args
    n_axes, count = 0, 1
    while count < size:   # the normalised trailing dims are those whose product is `size`
        n_axes += 1
        count *= x.shape[-n_axes]
    scale = g.name_of(weight) if weight is not None else g.constant(np.ones(x.shape[-n_axes:], x.dtype))
    inputs = [g.name_of(x), scale] + ([g.name_of(bias)] if bias is not None else [])
    return [g.node("LayerNormalization", inputs, axis=-n_axes, epsilon=float(eps))]


@translates("NormFn")
def _norm(g, args, outs):
    """Batch norm (running or batch statistics) and the other normalisations, composed from primitives."""
    x, weight, bias, axes, param_shape, eps, mean, var = args
    xn = g.name_of(x)
    if mean is None:
        mean_n = g.node("ReduceMean", [xn, g.ints(list(axes))], keepdims=1)
        centred = g.node("Sub", [xn, mean_n])
        var_n = g.node("ReduceMean", [g.node("Mul", [centred, centred]), g.ints(list(axes))], keepdims=1)
    else:
        mean_n = g.constant(np.asarray(mean, x.dtype).reshape(param_shape))
        var_n = g.constant(np.asarray(var, x.dtype).reshape(param_shape))
        centred = g.node("Sub", [xn, mean_n])
    out = g.node("Div", [centred, g.node("Sqrt", [g.node("Add", [var_n, g.name_of(float(eps), x)])])])
    if weight is not None:
        out = g.node("Mul", [out, g.node("Reshape", [g.name_of(weight), g.ints(param_shape)])])
    if bias is not None:
        out = g.node("Add", [out, g.node("Reshape", [g.name_of(bias), g.ints(param_shape)])])
    return [out]


def _apply_mask(g, scores, mask, like):
    """scores + mask (additive), or scores where mask is True else -inf (bool)."""
    arr = mask._data if isinstance(mask, (Tensor, _Named)) else np.asarray(mask)
    if arr.dtype == bool:
        return g.node("Where", [g.name_of(mask), scores, g.name_of(-np.inf, like)])
    return g.node("Add", [scores, g.name_of(mask, like)])


@translates("ScaledDotProductAttentionFn")
def _attention(g, args, outs):
    q, k, v, mask, scale, causal, need_weights = args[:7]
    key_mask = args[7] if len(args) > 7 else None
    batch, Lq, Lk = tuple(q.shape[:-2]), q.shape[-2], k.shape[-2]
    perm = list(range(k.ndim - 2)) + [k.ndim - 1, k.ndim - 2]
    scores = g.node("Mul", [g.node("MatMul", [g.name_of(q), g.node("Transpose", [g.name_of(k)], perm=perm)]),
                            g.name_of(float(scale), q)])
    if causal:   # top-left aligned, as PyTorch's is_causal
        scores = g.node("Where", [g.constant(np.tril(np.ones((Lq, Lk), bool))), scores, g.name_of(-np.inf, q)])
    if mask is not None:
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.ndim == 4 and len(batch) != 2:   # (G1, G2, Lq, Lk) over the flattened batch
            flat = g.node("Reshape", [scores, g.ints(m.shape[:2] + (Lq, Lk))])
            scores = g.node("Reshape", [_apply_mask(g, flat, mask, q), g.ints(batch + (Lq, Lk))])
        else:
            scores = _apply_mask(g, scores, mask, q)
    if key_mask is not None:   # (G, Lk): problem n of the flattened batch reads row n // (N // G)
        G = key_mask.shape[0]
        problems = int(np.prod(batch, dtype=np.int64))
        grouped = g.node("Reshape", [scores, g.ints((G, problems // G, Lq, Lk))])
        km = g.node("Reshape", [g.name_of(key_mask), g.ints((G, 1, 1, Lk))])
        masked = _apply_mask(g, grouped, _Named(km, key_mask), q)
        scores = g.node("Reshape", [masked, g.ints(batch + (Lq, Lk))])
    weights = g.node("Softmax", [scores], axis=-1)
    out = g.node("MatMul", [weights, g.name_of(v)])
    return [out, weights] if need_weights else [out]


# ------------------------------------------------------------------ recurrent layers
# ONNX orders the gate blocks differently from PyTorch: LSTM i,o,f,c (PyTorch i,f,g,o); GRU z,r,h (PyTorch r,z,n)
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _recurrent(g, kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, activation=None):
    order = _GATE_ORDER[kind]
    hidden = w_hh.shape[1]

    def blocks(a):
        return np.concatenate([a[i * hidden:(i + 1) * hidden] for i in order], axis=0)
    W = blocks(_constant_weight(g, w_ih, kind))[None]
    R = blocks(_constant_weight(g, w_hh, kind))[None]
    zeros = np.zeros(len(order) * hidden, W.dtype)
    bi = blocks(_constant_weight(g, b_ih, kind)) if b_ih is not None else zeros
    bh = blocks(_constant_weight(g, b_hh, kind)) if b_hh is not None else zeros
    inputs = [g.name_of(x), g.constant(W), g.constant(R), g.constant(np.concatenate([bi, bh])[None]), ""]
    for state in (h0, c0) if kind == "LSTM" else (h0,):
        inputs.append("" if state is None else g.node("Unsqueeze", [g.name_of(state), g.ints([0])]))
    attrs = dict(hidden_size=int(hidden), direction="reverse" if reverse else "forward")
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if activation is not None:
        attrs["activations"] = [activation]
    n_out = 3 if kind == "LSTM" else 2
    outs = g.node(kind, inputs, n_out=n_out, **attrs)
    y = g.node("Squeeze", [outs[0], g.ints([1])])
    return [y] + [g.node("Squeeze", [o, g.ints([0])]) for o in outs[1:]]


@translates("LSTMDirectionFn")
def _lstm(g, args, outs):
    x, *rest, batch_first = args
    if not batch_first:
        return _recurrent(g, "LSTM", x, *rest)
    # the kernels' batch-first layout: ONNX's LSTM between two transposes
    seq_first = _Named(g.node("Transpose", [g.name_of(x)], perm=[1, 0, 2]), x)
    y, *states = _recurrent(g, "LSTM", seq_first, *rest)
    return [g.node("Transpose", [y], perm=[1, 0, 2])] + states


@translates("LSTMPairFn")
def _lstm_pair(g, args, outs):
    x, forward, backward = args[0], args[1:7], args[7:13]
    return _recurrent(g, "LSTM", x, *forward, False) + _recurrent(g, "LSTM", x, *backward, True)


@translates("GRUDirectionFn")
def _gru(g, args, outs):
    x, h0, w_ih, w_hh, b_ih, b_hh, reverse = args
    return _recurrent(g, "GRU", x, h0, None, w_ih, w_hh, b_ih, b_hh, reverse)


@translates("RNNDirectionFn")
def _rnn(g, args, outs):
    x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse = args
    return _recurrent(g, "RNN", x, h0, None, w_ih, w_hh, b_ih, b_hh, reverse,
                      activation="Relu" if nonlinearity == "relu" else "Tanh")


def _cell(kind, n_states):
    def tr(g, args, outs):
        x, states, rest = args[0], args[1:1 + n_states], args[1 + n_states:]
        w_ih, w_hh, b_ih, b_hh = rest[:4]
        act = None
        if kind == "RNN":
            act = "Relu" if rest[4] == "relu" else "Tanh"
        seq = g.node("Unsqueeze", [g.name_of(x), g.ints([0])])
        states = list(states) + [None] * (2 - n_states)
        res = _recurrent(g, kind, _Named(seq), _named_or_none(g, states[0]), _named_or_none(g, states[1]),
                         w_ih, w_hh, b_ih, b_hh, False, act)
        return res[1:] if kind == "LSTM" else [res[1]]
    return tr


class _Named:
    """A value already in the graph, passed where a traced Tensor is expected (with the array it stands
    for, when its dtype matters)."""
    def __init__(self, name, like=None):
        self.onnx_name = name
        self._data = None if like is None else (like._data if isinstance(like, Tensor) else np.asarray(like))


def _named_or_none(g, t):
    return None if t is None else t


TRANSLATIONS["LSTMCellFn"] = _cell("LSTM", 2)
TRANSLATIONS["GRUCellFn"] = _cell("GRU", 1)
TRANSLATIONS["RNNCellFn"] = _cell("RNN", 1)
