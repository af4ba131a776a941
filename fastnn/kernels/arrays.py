"""What the compiled kernels take: C-contiguous ndarrays of the right dtype."""
import numpy as np


def kernel_input(a, dtype=None):
    """a itself when it is C-contiguous (and of dtype, if given), read-only or not; else a
    C-contiguous copy. For the families whose kernels read their inputs through const
    memoryviews (conv, rnn, linear, softmax, dropout, optim): a read-only array
    (np.broadcast_to of a full shape, a read-only memmap, np.frombuffer) is used without a copy.
    """
    if a is None:
        return None
    if a.flags.c_contiguous and (dtype is None or a.dtype == dtype):
        return a
    return np.array(a, dtype=dtype, order="C")


def kernel_array(a, dtype=None):
    """a itself when it already qualifies, else a C-contiguous writeable copy (in dtype if given).

    Read-only arrays are copied: for the kernels whose typed buffers still need write access.
    """
    if a is None:
        return None
    if a.flags.c_contiguous and a.flags.writeable and (dtype is None or a.dtype == dtype):
        return a
    return np.array(a, dtype=dtype, order="C")
