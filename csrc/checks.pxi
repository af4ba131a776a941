# Argument validation shared by the kernel wrappers. Kernels run with
# boundscheck=False, so these checks are the only guard: each error names the argument.
# Textually included (needs `np` imported by the including module); reads arrays through NumPy's C API.
cimport numpy as cnp
cnp.import_array()


cdef inline bint is_native_float(object x) noexcept:
    """x is an ndarray (or subclass) of float32 or float64 in this machine's byte order: read through
    NumPy's C API (a few loads) instead of comparing dtype objects, which cost about a microsecond per
    kernel call (relu on a (32, 16) array: 3.6 us a call, most of it in argument checks)."""
    if not cnp.PyArray_Check(x):
        return False
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>x)
    return (t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64) and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>x)


cdef object check_float(object x, str name, int ndim=-1):
    """Return x if it is a C-contiguous float32/float64 ndarray of the given rank (read-only is fine)."""
    if not is_native_float(x):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
        raise TypeError(f"{name} must be float32 or float64 (native byte order), got {x.dtype}")
    if ndim >= 0 and cnp.PyArray_NDIM(<cnp.ndarray>x) != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x):
        raise ValueError(f"{name} must be C-contiguous")
    return x


cdef inline bint same_dtype(object x, object ref) noexcept:
    """x (which passed check_float) has the element type of the array ref."""
    return (cnp.PyArray_Check(ref) and cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.PyArray_TYPE(<cnp.ndarray>ref)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>ref))


cdef inline bint same_shape(object x, object ref) noexcept:
    """Two ndarrays have the same shape (without building their shape tuples)."""
    cdef int nd = cnp.PyArray_NDIM(<cnp.ndarray>x), i
    if nd != cnp.PyArray_NDIM(<cnp.ndarray>ref):
        return False
    for i in range(nd):
        if cnp.PyArray_DIM(<cnp.ndarray>x, i) != cnp.PyArray_DIM(<cnp.ndarray>ref, i):
            return False
    return True


cdef inline bint is_single(object x) noexcept:
    """An array that passed check_float holds float32."""
    return cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_FLOAT32


cdef inline void* data_of(object x) noexcept:
    """The first element of an ndarray (no buffer export: a typed memoryview's acquisition costs about
    0.3 us an argument, more than a small kernel's arithmetic)."""
    return cnp.PyArray_DATA(<cnp.ndarray>x)


cdef object check_writeable(object x, str name):
    """Arrays a kernel updates in place must be writeable (inputs may be read-only: the
    kernels only read them)."""
    if not cnp.PyArray_Check(x) or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>x):
        raise ValueError(f"{name} is read-only, but the kernel updates it in place")
    return x


cdef object check_like(object x, str name, object ref, str ref_name):
    """x must be a C-contiguous array with ref's dtype and shape."""
    check_float(x, name)
    if not same_dtype(x, ref):
        raise TypeError(f"{name} must have the dtype of {ref_name} ({ref.dtype}), got {x.dtype}")
    if not same_shape(x, ref):
        raise ValueError(f"{name} must have the shape of {ref_name} {ref.shape}, got {x.shape}")
    return x


cdef object check_same_dtype(object x, str name, object ref, str ref_name, int ndim=-1):
    check_float(x, name, ndim)
    if not same_dtype(x, ref):
        raise TypeError(f"{name} must have the dtype of {ref_name} ({ref.dtype}), got {x.dtype}")
    return x


cdef object check_index(object t, str name, Py_ssize_t n, Py_ssize_t upper, object ignore=None):
    """t must be a C-contiguous int64 vector of length n with values in [0, upper) (or == ignore)."""
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(t).__name__}")
    if t.dtype != np.int64:
        raise TypeError(f"{name} must be int64, got {t.dtype}")
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {t.shape}")
    if not t.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if n:
        valid = t if ignore is None else t[t != ignore]
        if valid.size and (valid.min() < 0 or valid.max() >= upper):
            bad = valid[(valid < 0) | (valid >= upper)][0]
            raise IndexError(f"{name} holds {bad}, out of range [0, {upper})")
    return t
