"""Recording of autograd Function calls during one forward pass.

While a Recorder is active, Function.apply reports each call (the Function class, its arguments and outputs);
every Tensor seen is kept alive so that ids stay unique for the recording's life."""
from ..autograd.function import Function

_active = [None]


def active():
    return _active[0]


class Recorder:
    def __init__(self):
        self.calls = []      # (Function class, args tuple, outputs tuple)
        self._keep = []

    def __enter__(self):
        if _active[0] is not None:
            raise RuntimeError("an ONNX export is already recording")
        self._original = Function.__dict__["apply"]
        original = self._original.__func__
        recorder = self

        def apply(cls, *args):
            out = original(cls, *args)
            outs = out if type(out) is tuple else (out,)
            recorder.calls.append((cls, args, outs))
            recorder._keep.append((args, outs))
            return out
        Function.apply = classmethod(apply)
        _active[0] = self
        return self

    def __exit__(self, *exc):
        Function.apply = self._original
        _active[0] = None
        return False
