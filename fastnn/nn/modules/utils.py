"""torch.nn.modules.utils' import path: the size-argument helpers (_single, _pair, _triple, _quadruple)."""
from ..arguments import _ntuple as _ntuple_checked


def _ntuple(n, name="parse"):
    """PyTorch's factory: _ntuple(n) returns a function turning an int or sequence into an n-tuple."""
    def parse(x):
        if isinstance(x, (list, tuple)) and len(x) != 1:
            return tuple(x)
        return _ntuple_checked(n, x, "size")
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
