"""export(): trace one forward pass, translate the recorded Functions, write and check the ONNX model."""
import io
import os

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor
from .graph import GraphBuilder, value_info
from .tracer import Recorder
from .translate_layers import TRANSLATIONS   # noqa: F401 (registers the layer translations too)
from . import translate_fused   # noqa: F401 (registers the fused Transformer Functions)

DEFAULT_OPSET = 18
MIN_OPSET = 17   # LayerNormalization; the reductions take axes as an input from 18 (ReduceMean) and 13 (ReduceSum)


class UnsupportedOperatorError(NotImplementedError):
    pass


def _flatten(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten(o, out)
    elif obj is not None:
        raise TypeError(f"export: model inputs and outputs must be Tensors or (nested) tuples of them, got "
                        f"{type(obj).__name__}")
    return out


def _detached_copies(obj):
    """Fresh leaf copies of the inputs, marked as requiring grad so that every operation on them goes through
    Function.apply and is recorded: integer ones too (the flag is set directly, past requires_grad_'s float
    check), or integer arithmetic on an input (`emb(idx + 1)`) would be baked into the file as a constant.
    No backward runs on these copies."""
    if isinstance(obj, Tensor):
        t = Tensor(obj._data.copy())
        if t.dtype.kind == "f":
            t.requires_grad_(True)
        elif t.dtype.kind in "iub":
            t.requires_grad = True
        return t
    if isinstance(obj, (tuple, list)):
        return type(obj)(_detached_copies(o) for o in obj)
    return obj


def export(model, args, f, export_params=True, verbose=False, training=None, input_names=None,
           output_names=None, opset_version=None, dynamic_axes=None, keep_initializers_as_inputs=False,
           do_constant_folding=True, dynamo=False, **kwargs):
    """Write `model` (a Module or function) called on `args` as an ONNX model to `f` (a path or binary file)."""
    try:
        import onnx
    except ImportError:
        raise ImportError('fastnn.onnx.export needs the onnx package: pip install "fastnn[onnx]"') from None
    if kwargs:
        raise TypeError(f"export() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    if not export_params:
        raise ValueError("export_params=False (a model without its weights) is not supported")
    if keep_initializers_as_inputs:
        raise ValueError("keep_initializers_as_inputs=True is not supported")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < MIN_OPSET:
        raise ValueError(f"opset_version must be >= {MIN_OPSET}, got {opset}")
    if not isinstance(args, tuple):
        args = (args,)
    args = _detached_copies(args)
    inputs = _flatten(args, [])

    from ..nn.module import Module
    is_module = isinstance(model, Module)
    was_training = model.training if is_module else False
    if is_module:
        model.train(bool(training) if training not in (None,) and str(training) != "TrainingMode.EVAL" else False)
        names = {id(t): n for n, t in list(model.named_parameters()) + list(model.named_buffers())}
    else:
        names = {}
    try:
        with Recorder() as rec, enable_grad():
            result = model(*args)
    finally:
        if is_module:
            model.train(was_training)
    outputs = _flatten(result, [])

    g = GraphBuilder(names)
    in_names = list(input_names or []) + [f"input_{i}" for i in range(len(input_names or []), len(inputs))]
    out_names = list(output_names or []) + [f"output_{i}" for i in range(len(output_names or []), len(outputs))]
    for t, n in zip(inputs, in_names):
        g.bind(t, n)
    for cls, call_args, outs in rec.calls:
        if not g.depends(call_args):
            continue  # computed from constants and parameters only: its outputs become initializers where used
        translate = TRANSLATIONS.get(cls.__name__)
        if translate is None:
            raise UnsupportedOperatorError(f"ONNX export: no translation for the operation {cls.__name__}")
        try:
            produced = translate(g, call_args, outs)
        except NotImplementedError as err:
            raise UnsupportedOperatorError(f"ONNX export of {cls.__name__}: {err}") from None
        for t, n in zip(outs, produced):
            g.bind(t, n)
    final = []
    for t, n in zip(outputs, out_names):
        if not g.is_traced(t):
            raise UnsupportedOperatorError("ONNX export: an output does not depend on the inputs through recorded "
                                           "operations (a constant, or computed outside fastnn's operations)")
        g.nodes.append(onnx.helper.make_node("Identity", [g.name_of(t)], [n]))
        final.append(n)

    dyn = _dynamic(dynamic_axes, in_names + out_names)
    graph = onnx.helper.make_graph(
        g.nodes, "fastnn",
        [value_info(n, t._data, dyn.get(n)) for t, n in zip(inputs, in_names)],
        [value_info(n, t._data, dyn.get(n)) for t, n in zip(outputs, final)],
        initializer=g.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="fastnn")
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"export: f must be a path or a binary file object, got {type(f).__name__}")
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    return None


def _dynamic(dynamic_axes, names):
    """{name: {axis: label}} from PyTorch's dynamic_axes ({name: [axes]} or {name: {axis: label}})."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"dynamic_axes names {name!r}, which is not an input or output name")
        if isinstance(axes, dict):
            out[name] = {int(a): str(label) for a, label in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return out
