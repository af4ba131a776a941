"""ONNX translations of the Transformer layers' fused Functions (fastnn/nn/transformer_fused.py,
nn/functional_mha.py): each written as the ONNX operators of the ops it fuses."""
import numpy as np

from .translate_ops import translates


def _linear(g, x_name, w, b):
    y = g.node("MatMul", [x_name, g.node("Transpose", [g.name_of(w)], perm=[1, 0])])
    return g.node("Add", [y, g.name_of(b)]) if b is not None else y


@translates("AddLayerNormFn")
def _add_layer_norm(g, args, outs):
    x, residual, weight, bias, eps, size, return_sum = args[:7]
    if len(args) > 7 and args[7] > 0.0:
        raise NotImplementedError("dropout in training mode: export the model in eval mode (the default)")
    s = g.node("Add", [g.name_of(x), g.name_of(residual)])
    n_axes, count = 0, 1
    while count < size:   # the normalised trailing dims are those whose product is `size`
        n_axes += 1
        count *= x.shape[-n_axes]
    scale = g.name_of(weight) if weight is not None else g.constant(np.ones(x.shape[-n_axes:], x.dtype))
    inputs = [s, scale] + ([g.name_of(bias)] if bias is not None else [])
    y = g.node("LayerNormalization", inputs, axis=-n_axes, epsilon=float(eps))
    return [y, s] if return_sum else [y]


@translates("FeedForwardFn")
def _feed_forward(g, args, outs):
    x, w1, b1, w2, b2, activation, p, _seed = args
    if p > 0.0:
        raise NotImplementedError("dropout in training mode: export the model in eval mode (the default)")
    a = _linear(g, g.name_of(x), w1, b1)
    if activation == "relu":
        h = g.node("Relu", [a])
    else:  # x * Phi(x) = x * (1 + erf(x / sqrt 2)) / 2
        half = g.name_of(0.5, x)
        erf = g.node("Erf", [g.node("Mul", [a, g.name_of(float(np.sqrt(0.5)), x)])])
        h = g.node("Mul", [g.node("Mul", [a, half]), g.node("Add", [erf, g.name_of(1.0, x)])])
    return [_linear(g, h, w2, b2)]


@translates("SplitHeadsFn")
def _split_heads(g, args, outs):
    qkv, bias, N, L, H, batch_first = args
    rows = g.node("Add", [g.name_of(qkv), g.name_of(bias)]) if bias is not None else g.name_of(qkv)
    tokens = (N, L) if batch_first else (L, N)
    shaped = g.node("Reshape", [rows, g.ints(tokens + (3, H, qkv.shape[1] // (3 * H)))])
    heads = g.node("Transpose", [shaped], perm=[2, 0, 3, 1, 4] if batch_first else [2, 1, 3, 0, 4])
    return [g.node("Squeeze", [g.node("Gather", [heads, g.ints([i])], axis=0), g.ints([0])]) for i in range(3)]


@translates("MergeHeadsFn")
def _merge_heads(g, args, outs):
    o, batch_first = args
    N, H, L, hd = o.shape
    tokens = g.node("Transpose", [g.name_of(o)], perm=[0, 2, 1, 3] if batch_first else [2, 0, 1, 3])
    return [g.node("Reshape", [tokens, g.ints((N * L, H * hd))])]
