# Argument validation shared by the kernel wrappers. Kernels run with
# boundscheck=False, so these checks are the only guard: each error names the argument.
# Textually included (needs `np` imported by the including module).


cdef object check_float(object x, str name, int ndim=-1):
    """Return x if it is a C-contiguous float32/float64 ndarray of the given rank (read-only is fine)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise TypeError(f"{name} must be float32 or float64, got {x.dtype}")
    if ndim >= 0 and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return x


cdef object check_writeable(object x, str name):
    """Arrays a kernel updates in place must be writeable (inputs may be read-only: the
    kernels read them through const memoryviews)."""
    if not x.flags.writeable:
        raise ValueError(f"{name} is read-only, but the kernel updates it in place")
    return x


cdef object check_like(object x, str name, object ref, str ref_name):
    """x must be a C-contiguous array with ref's dtype and shape."""
    check_float(x, name)
    if x.dtype != ref.dtype:
        raise TypeError(f"{name} must have the dtype of {ref_name} ({ref.dtype}), got {x.dtype}")
    if x.shape != ref.shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {ref.shape}, got {x.shape}")
    return x


cdef object check_same_dtype(object x, str name, object ref, str ref_name, int ndim=-1):
    check_float(x, name, ndim)
    if x.dtype != ref.dtype:
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
