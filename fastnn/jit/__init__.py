"""torch.jit: fastnn has no TorchScript compiler. script() and trace() return what they were given, so code that
decorates or wraps a model for speed runs eagerly (PyTorch's own behaviour under PYTORCH_JIT=0); saving a
TorchScript archive is refused with an error that says what to use instead."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    return func


def _refuse(*args, **kwargs):
    raise NotImplementedError("fastnn has no TorchScript: save weights with fastnn.save(model.state_dict(), path), "
                              "or export the model with fastnn.onnx.export")


save = load = freeze = optimize_for_inference = _refuse


def is_scripting():
    return False


def is_tracing():
    return False


def _identity_decorator(fn=None, *args, **kwargs):
    return fn if callable(fn) else (lambda f: f)


ignore = unused = export = _identity_decorator


class Final:
    """Annotation marker (torch.jit.Final[int]) with no meaning in eager code."""

    def __class_getitem__(cls, item):
        return item
