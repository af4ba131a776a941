"""What the compiled kernels take: C-contiguous, writeable ndarrays."""
import numpy as np


def kernel_array(a, dtype=None):
    """a itself when it already qualifies, else a C-contiguous writeable copy (in dtype if given).

    Read-only arrays (np.broadcast_to results, read-only memmaps, np.frombuffer) are copied:
    the kernels' typed buffers need write access.
    """
    if a is None:
        return None
    if a.flags.c_contiguous and a.flags.writeable and (dtype is None or a.dtype == dtype):
        return a
    return np.array(a, dtype=dtype, order="C")
