# Layer norm over the last axis of an (R, C) array: fused mean, variance and affine.
# Included by attention.pyx (shares its imports and checks). Statistics in double.


def layer_norm_forward(x, weight=None, bias=None, eps=1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per row of x (R, C), biased variance.

    Returns (y (R, C), mean (R,) float64, rstd (R,) float64).
    """
    check_float(x, "input", 2)
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1]
    for arr, name in ((weight, "weight"), (bias, "bias")):
        if arr is not None:
            check_same_dtype(arr, name, x, "input", 1)
            if arr.shape[0] != C:
                raise ValueError(f"{name} must have shape ({C},), got {arr.shape}")
    y = np.empty_like(x)
    mean = np.zeros(R)
    rstd = np.zeros(R)
    if R and C:
        if x.dtype == np.float32:
            _ln_forward[float](x, weight, bias, float(eps), y, mean, rstd)
        else:
            _ln_forward[double](x, weight, bias, float(eps), y, mean, rstd)
    return y, mean, rstd


cdef void _ln_forward(floating[:, ::1] x, object w_arr, object b_arr, double eps, floating[:, ::1] y,
                      double[::1] mean, double[::1] rstd):
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r, c
    cdef floating[::1] w, b
    cdef bint has_w = w_arr is not None, has_b = b_arr is not None
    cdef double mu, var, d, rs, val
    if has_w:
        w = w_arr
    if has_b:
        b = b_arr
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        for r in prange(R, num_threads=nt, schedule="static"):
            mu = 0
            for c in range(C):
                mu = mu + x[r, c]
            mu = mu / C
            var = 0
            for c in range(C):
                d = x[r, c] - mu
                var = var + d * d
            rs = 1.0 / sqrt(var / C + eps)  # sqrt, not ** 0.5: a NaN variance must give NaN, not a Python error
            mean[r] = mu
            rstd[r] = rs
            for c in range(C):
                val = (x[r, c] - mu) * rs
                if has_w:
                    val = val * w[c]
                if has_b:
                    val = val + b[c]
                y[r, c] = <floating>val


def layer_norm_backward(x, mean, rstd, grad_out, weight=None, need_weight=True, need_bias=True):
    """(grad_input, grad_weight, grad_bias) of layer_norm_forward; the last two None when not
    needed or when the layer has no weight/bias (grad_weight needs weight given)."""
    check_float(x, "input", 2)
    check_like(grad_out, "grad_out", x, "input")
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1]
    for arr, name in ((mean, "mean"), (rstd, "rstd")):
        check_float(arr, name, 1)
        if arr.dtype != np.float64 or arr.shape[0] != R:
            raise ValueError(f"{name} must be float64 of shape ({R},), got {arr.dtype} {arr.shape}")
    if weight is not None:
        check_same_dtype(weight, "weight", x, "input", 1)
        if weight.shape[0] != C:
            raise ValueError(f"weight must have shape ({C},), got {weight.shape}")
    gx = np.empty_like(x)
    gw = np.zeros(C) if need_weight and weight is not None else None
    gb = np.zeros(C) if need_bias else None
    if R and C:
        if x.dtype == np.float32:
            _ln_backward[float](x, mean, rstd, grad_out, weight, gx)
        else:
            _ln_backward[double](x, mean, rstd, grad_out, weight, gx)
        if x.dtype == np.float32:
            _ln_param_grads[float](x, mean, rstd, grad_out, gw, gb)
        else:
            _ln_param_grads[double](x, mean, rstd, grad_out, gw, gb)
    return gx, (None if gw is None else gw.astype(x.dtype)), (None if gb is None else gb.astype(x.dtype))


cdef void _ln_backward(floating[:, ::1] x, double[::1] mean, double[::1] rstd, floating[:, ::1] g,
                       object w_arr, floating[:, ::1] gx):
    # With xhat = (x - mean) * rstd and gh = g * weight:
    # gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat))
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r, c
    cdef floating[::1] w
    cdef bint has_w = w_arr is not None
    cdef double a, b, gh, xh
    if has_w:
        w = w_arr
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        for r in prange(R, num_threads=nt, schedule="static"):
            a = 0
            b = 0
            for c in range(C):
                gh = g[r, c] * w[c] if has_w else g[r, c]
                xh = (x[r, c] - mean[r]) * rstd[r]
                a = a + gh
                b = b + gh * xh
            a = a / C
            b = b / C
            for c in range(C):
                gh = g[r, c] * w[c] if has_w else g[r, c]
                xh = (x[r, c] - mean[r]) * rstd[r]
                gx[r, c] = <floating>(rstd[r] * (gh - a - xh * b))


cdef void _ln_param_grads(floating[:, ::1] x, double[::1] mean, double[::1] rstd, floating[:, ::1] g,
                          object gw_arr, object gb_arr):
    """grad_weight = sum over rows of g * xhat, grad_bias = sum of g (column sums, in double)."""
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], r, c
    cdef double[::1] gw, gb
    cdef bint need_w = gw_arr is not None, need_b = gb_arr is not None
    if need_w:
        gw = gw_arr
    if need_b:
        gb = gb_arr
    with nogil:
        for r in range(R):
            for c in range(C):
                if need_w:
                    gw[c] = gw[c] + g[r, c] * (x[r, c] - mean[r]) * rstd[r]
                if need_b:
                    gb[c] = gb[c] + g[r, c]
