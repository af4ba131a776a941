"""ONNX translations of the tensor operations (fastnn.autograd.ops): each takes the GraphBuilder, the Function's
arguments and outputs as recorded, and returns the ONNX value name of each output."""
import numpy as np

from ..autograd.tensor import Tensor
from .graph import onnx_dtype

TRANSLATIONS = {}


def translates(*names):
    def register(fn):
        for n in names:
            TRANSLATIONS[n] = fn
        return fn
    return register


def _unary(op, **attrs):
    return lambda g, args, outs: [g.node(op, [g.name_of(args[0])], **attrs)]


for _fn, _op in {"Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs", "Sin": "Sin", "Cos": "Cos",
                 "Tanh": "Tanh", "Sigmoid": "Sigmoid", "ReLU": "Relu", "Neg": "Neg", "Clone": "Identity"}.items():
    TRANSLATIONS[_fn] = _unary(_op)


def _operands(g, args, outs):
    """Both operands in the result's dtype: ONNX does not promote (an int64 Div would divide as integers where
    PyTorch's gives floats), so an operand of another dtype is cast first."""
    out = outs[0]
    names = []
    for x in args[:2]:
        if isinstance(x, Tensor) and x.dtype != out.dtype:
            names.append(g.node("Cast", [g.name_of(x)], to=onnx_dtype(out.dtype)))
        else:
            names.append(g.name_of(x, out))
    return names


def _binary(op):
    return lambda g, args, outs: [g.node(op, _operands(g, args, outs))]


for _fn, _op in {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow", "MatMul": "MatMul",
                 "Maximum": "Max"}.items():
    TRANSLATIONS[_fn] = _binary(_op)


@translates("Remainder")
def _remainder(g, args, outs):
    """PyTorch's remainder takes the divisor's sign: ONNX Mod (fmod=0) for integers, a - floor(a / b) * b for
    floats."""
    a, b = _operands(g, args, outs)
    if outs[0].dtype.kind in "iu":
        return [g.node("Mod", [a, b], fmod=0)]
    return [g.node("Sub", [a, g.node("Mul", [g.node("Floor", [g.node("Div", [a, b])]), b])])]


@translates("Log1p")
def _log1p(g, args, outs):
    x = g.name_of(args[0])
    return [g.node("Log", [g.node("Add", [x, g.name_of(1.0, args[0])])])]


@translates("LeakyReLU")
def _leaky(g, args, outs):
    return [g.node("LeakyRelu", [g.name_of(args[0])], alpha=float(args[1]))]


@translates("ELU")
def _elu(g, args, outs):
    return [g.node("Elu", [g.name_of(args[0])], alpha=float(args[1]))]


@translates("SiLU")
def _silu(g, args, outs):
    x = g.name_of(args[0])
    return [g.node("Mul", [x, g.node("Sigmoid", [x])])]


@translates("GELU")
def _gelu(g, args, outs):
    """Composed (ONNX's Gelu needs opset 20): x/2 (1 + erf(x/√2)), or the tanh approximation."""
    x = args[0]
    xn = g.name_of(x)
    if args[1] == "tanh":
        cube = g.node("Mul", [g.node("Mul", [xn, xn]), xn])
        inner = g.node("Add", [xn, g.node("Mul", [cube, g.name_of(0.044715, x)])])
        core = g.node("Tanh", [g.node("Mul", [inner, g.name_of(np.sqrt(2 / np.pi), x)])])
    else:
        core = g.node("Erf", [g.node("Div", [xn, g.name_of(np.sqrt(2.0), x)])])
    return [g.node("Mul", [g.node("Mul", [xn, g.name_of(0.5, x)]), g.node("Add", [core, g.name_of(1.0, x)])])]


@translates("Softplus")
def _softplus(g, args, outs):
    x, beta, threshold = args[0], float(args[1]), float(args[2])
    if beta != 1.0 or threshold < 50:   # ONNX Softplus has neither: log(1 + exp(beta x)) / beta, linear above
        bx = g.node("Mul", [g.name_of(x), g.name_of(beta, x)])
        soft = g.node("Div", [g.node("Softplus", [bx]), g.name_of(beta, x)])
        return [g.node("Where", [g.node("Greater", [bx, g.name_of(threshold, x)]), g.name_of(x), soft])]
    return [g.node("Softplus", [g.name_of(x)])]


@translates("Clamp")
def _clamp(g, args, outs):
    x, lo, hi = args[0], args[1], args[2]
    inputs = [g.name_of(x), "" if lo is None else g.name_of(lo, x), "" if hi is None else g.name_of(hi, x)]
    return [g.node("Clip", inputs)]


@translates("Cast")
def _cast(g, args, outs):
    return [g.node("Cast", [g.name_of(args[0])], to=onnx_dtype(outs[0].dtype))]


# ------------------------------------------------------------------ shapes
@translates("Reshape")
def _reshape(g, args, outs):
    return [g.node("Reshape", [g.name_of(args[0]), g.ints(args[1])])]


@translates("Permute")
def _permute(g, args, outs):
    return [g.node("Transpose", [g.name_of(args[0])], perm=[int(d) for d in args[1]])]


@translates("Expand")
def _expand(g, args, outs):
    return [g.node("Expand", [g.name_of(args[0]), g.ints(outs[0].shape)])]


@translates("Repeat")
def _repeat(g, args, outs):
    x, reps = args[0], tuple(args[1])
    name = g.name_of(x)
    if len(reps) > x.ndim:
        name = g.node("Reshape", [name, g.ints((1,) * (len(reps) - x.ndim) + tuple(x.shape))])
    return [g.node("Tile", [name, g.ints(reps)])]


@translates("Cat")
def _cat(g, args, outs):
    dim, tensors = args[0], args[1:]
    return [g.node("Concat", [g.name_of(t) for t in tensors], axis=int(dim))]


@translates("Stack")
def _stack(g, args, outs):
    dim, tensors = int(args[0]), args[1:]
    return [g.node("Concat", [g.node("Unsqueeze", [g.name_of(t), g.ints([dim])]) for t in tensors], axis=dim)]


@translates("GetItem")
def _getitem(g, args, outs):
    x, key = args[0], args[1]
    key = key if isinstance(key, tuple) else (key,)
    name = g.name_of(x)
    if any(isinstance(k, (np.ndarray, Tensor, list)) for k in key):
        arrays = [k for k in key if isinstance(k, (np.ndarray, Tensor, list))]
        if len(key) == 1 and np.asarray(arrays[0]).dtype != bool:
            idx = np.asarray(arrays[0]._data if isinstance(arrays[0], Tensor) else arrays[0], np.int64)
            return [g.node("Gather", [name, g.constant(idx)], axis=0)]
        raise NotImplementedError("ONNX export supports one integer-array index on the first dimension only")
    # basic indexing: slices, ints, None and Ellipsis
    n_ellipsis_dims = x.ndim - sum(1 for k in key if k is not None and k is not Ellipsis)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis, out_axis = 0, 0
    for k in key:
        if k is Ellipsis:
            axis += n_ellipsis_dims
            out_axis += n_ellipsis_dims
        elif k is None:
            unsqueeze.append(out_axis)
            out_axis += 1
        elif isinstance(k, slice):
            start, stop, step = k.indices(x.shape[axis])
            if (start, stop, step) != (0, x.shape[axis], 1):
                starts.append(start), ends.append(stop if step > 0 or stop >= 0 else -x.shape[axis] - 1)
                axes.append(axis), steps.append(step)
            axis += 1
            out_axis += 1
        else:
            i = int(k) % x.shape[axis]
            starts.append(i), ends.append(i + 1), axes.append(axis), steps.append(1)
            squeeze.append(axis)
            axis += 1
    if axes:
        name = g.node("Slice", [name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        name = g.node("Squeeze", [name, g.ints(squeeze)])
    if unsqueeze:
        # positions were counted in the output with squeezed axes removed before them
        name = g.node("Unsqueeze", [name, g.ints(unsqueeze)])
    return [g.node("Identity", [name]) if name == g.name_of(x) else name]


@translates("Gather")
def _gather(g, args, outs):
    return [g.node("GatherElements", [g.name_of(args[0]), g.name_of(args[2])], axis=int(args[1]))]


@translates("Where")
def _where(g, args, outs):
    cond, x, y = args
    like = x if isinstance(x, Tensor) else y
    return [g.node("Where", [g.name_of(cond), g.name_of(x, like), g.name_of(y, like)])]


@translates("MaskedFill")
def _masked_fill(g, args, outs):
    x, mask, value = args
    return [g.node("Where", [g.name_of(mask), g.name_of(value, x), g.name_of(x)])]


# ------------------------------------------------------------------ reductions
def _reduce(op):
    def tr(g, args, outs):
        x, dims, keepdim = args[0], args[1], args[2]
        axes = [] if dims is None else [int(d) for d in dims]
        inputs = [g.name_of(x)] + ([g.ints(axes)] if axes else [])
        return [g.node(op, inputs, keepdims=int(bool(keepdim)))]
    return tr


TRANSLATIONS["Sum"] = _reduce("ReduceSum")
TRANSLATIONS["Mean"] = _reduce("ReduceMean")


@translates("MaxAlong")
def _max_along(g, args, outs):
    x, dim, keepdim, largest = args
    op, arg = ("ReduceMax", "ArgMax") if largest else ("ReduceMin", "ArgMin")
    name = g.name_of(x)
    return [g.node(op, [name, g.ints([dim])], keepdims=int(bool(keepdim))),
            g.node(arg, [name], axis=int(dim), keepdims=int(bool(keepdim)))]


@translates("MaxAll")
def _max_all(g, args, outs):
    return [g.node("ReduceMax" if args[1] else "ReduceMin", [g.name_of(args[0])], keepdims=0)]


@translates("LogSumExp")
def _logsumexp(g, args, outs):
    x, dims, keepdim = args
    return [g.node("ReduceLogSumExp", [g.name_of(x), g.ints(list(dims))], keepdims=int(bool(keepdim)))]


@translates("Softmax")
def _softmax(g, args, outs):
    x, dim, log = args
    return [g.node("LogSoftmax" if log else "Softmax", [g.name_of(x)], axis=int(dim))]
