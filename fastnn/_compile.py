"""torch.compile: fastnn has no graph compiler, so compile() returns the model or function unchanged (the eager
fallback PyTorch itself uses when no compiler backend is available). Each layer already makes one native call per
direction; there is nothing for a compiler to fuse at the Python level."""

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(m for m in _MODES if m)}")
    if model is None:
        return lambda m: m
    if not callable(model):
        raise TypeError(f"compile() expects a callable model or function, got {type(model).__name__}")
    return model
