"""What the conv kernel tests share: running a block under one conv2d implementation."""
from contextlib import contextmanager

from fastnn.kernels import _conv

# conv2d has three implementations per pass (im2col + GEMM; direct for stride 1, whose input
# gradient has two forms, "flipped" and "scatter"; Winograd for 3x3 stride 1); "auto" picks
# one per pass.
PATHS = ("im2col", "direct", "scatter", "winograd", "auto")


@contextmanager
def conv_path(path):
    old = _conv._set_conv_path(path)
    try:
        yield
    finally:
        _conv._set_conv_path(old)
