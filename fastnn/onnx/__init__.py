"""torch.onnx's export for fastnn models: `fastnn.onnx.export(model, args, f, ...)` runs one forward pass while
recording every autograd Function call, translates each to ONNX operators (translate_ops, translate_layers) and
writes the model with the `onnx` package (`pip install "fastnn[onnx]"`). An op without a translation raises
naming the op."""
from .export import export, UnsupportedOperatorError  # noqa: F401


def is_in_onnx_export():
    from .tracer import active
    return active() is not None
