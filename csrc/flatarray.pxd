# Small helpers over flat float/double arrays, shared by the kernel families
# (cimported; inline, so no runtime module).
from cython cimport floating


cdef inline floating* data_or_null(floating[::1] v) noexcept nogil:
    """Address of v's first element; NULL for None or an empty array (nothing reads through it)."""
    return &v[0] if v is not None and v.shape[0] else NULL


cdef inline void column_sums(const floating* a, Py_ssize_t rows, Py_ssize_t cols, floating* out) noexcept nogil:
    """out[c] = sum over r of a[r * cols + c] (a row-major, rows x cols)."""
    cdef Py_ssize_t r, c
    for c in range(cols):
        out[c] = 0
    for r in range(rows):
        for c in range(cols):
            out[c] += a[r * cols + c]


cdef inline const floating* const_data_or_null(const floating[::1] v) noexcept nogil:
    """data_or_null for arrays only read (they may be read-only)."""
    return &v[0] if v is not None and v.shape[0] else NULL
