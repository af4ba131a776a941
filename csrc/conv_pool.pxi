# Max/avg pooling and nearest upsampling of NCHW planes: direct loops, one plane per
# OpenMP task (the max-pool plane loop is C, csrc/maxpool.h). Included by conv.pyx.

# Window taps below which max pooling's forward stays on one thread (twice this before a second joins): a
# tap costs about 1 ns there (AVX-512 build, Zen 4), so 128K taps are ~0.1 ms. A smaller pass lost more to a
# parallel region's barrier than it gained: (128, 8, 7, 7) 2x2 ceil_mode, 64K taps on two threads, took 1.46x
# PyTorch's time forward+backward with one busy process beside it (0.66x quiet).
cdef Py_ssize_t MAXPOOL_MIN_TAPS = 1 << 17


cdef Py_ssize_t _pool_out(Py_ssize_t size, Py_ssize_t k, Py_ssize_t s, Py_ssize_t p, Py_ssize_t d, bint ceil_mode):
    cdef Py_ssize_t span = size + 2 * p - d * (k - 1) - 1
    cdef Py_ssize_t out
    if span < 0:
        return 0
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # PyTorch: the last window must start inside the input or the left padding
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


cdef tuple _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    check_float(x, "input", 4)
    ks = _pair(kernel_size, "kernel_size", True)
    st = ks if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _pair(stride, "stride", True)
    pd = _pair(padding, "padding", False)
    dl = _pair(dilation, "dilation", True)
    if pd[0] * 2 > ks[0] or pd[1] * 2 > ks[1]:
        raise ValueError(f"padding {pd} must be at most half of kernel_size {ks}")
    ho = _pool_out(x.shape[2], ks[0], st[0], pd[0], dl[0], ceil_mode)
    wo = _pool_out(x.shape[3], ks[1], st[1], pd[1], dl[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"kernel_size {ks} (dilation {dl}) is larger than the padded input {x.shape[2:]}")
    return ks, st, pd, dl, ho, wo


def _max_pool(const floating[:, :, ::1] x, floating[:, :, ::1] out, long long[:, :, ::1] idx,
              Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
              Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho, Py_ssize_t wo):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t plane
    cdef int nt = threads_for(x.shape[0] * ho * wo * kh * kw, MAXPOOL_MIN_TAPS)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for plane in prange(x.shape[0], num_threads=nt, schedule="static"):
            maxpool_plane(&x[plane, 0, 0], H, W, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, &out[plane, 0, 0],
                          &idx[plane, 0, 0])
        fastnn_team_end(&_team)


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over windows of each plane, as torch.nn.functional.max_pool2d(return_indices=True).

    Parameters
    ----------
    x : ndarray, (N, C, H, W), float32 or float64, C-contiguous
    kernel_size : int or pair of ints, positive
    stride : int or pair of ints, positive; None or () for kernel_size
    padding : int or pair of ints, non-negative, at most half of kernel_size (-inf padding)
    dilation : int or pair of ints, positive
    ceil_mode : bool
        Round the output size up (the last window still starts inside the input or left padding).

    Returns
    -------
    out : ndarray, (N, C, Ho, Wo), x's dtype
    indices : ndarray, (N, C, Ho, Wo), int64: each maximum's flat position in its H*W plane
    """
    ks, st, pd, dl, ho, wo = _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    out = np.empty((N, C, ho, wo), x.dtype)
    idx = np.empty((N, C, ho, wo), np.int64)
    if out.size:
        x3, o3, i3 = x.reshape(N * C, H, W), out.reshape(N * C, ho, wo), idx.reshape(N * C, ho, wo)
        _max_pool(x3, o3, i3, H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], dl[0], dl[1], ho, wo)
    return out, idx


def _max_unpool_add(const floating[:, ::1] g, const long long[:, ::1] idx, floating[:, ::1] gx):
    """Adds each g into gx at its index; an index outside the plane is skipped and counted (returned): the
    check rides along the scatter instead of a min and a max pass over the indices before it."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t plane, p, bad = 0
    cdef unsigned long long HW = gx.shape[1]
    cdef long long i
    cdef int nt = threads_for(g.shape[0] * g.shape[1], MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for plane in prange(g.shape[0], num_threads=nt, schedule="static"):
            for p in range(g.shape[1]):
                i = idx[plane, p]
                if <unsigned long long>i < HW:
                    gx[plane, i] += g[plane, p]
                else:
                    bad += 1
        fastnn_team_end(&_team)
    return bad


cdef tuple _input_shape(object input_shape):
    """(N, C, H, W) as 4 non-negative ints, or an error naming input_shape (no float truncation)."""
    try:
        shape = tuple(operator.index(s) for s in input_shape)
    except TypeError:
        raise TypeError(f"input_shape must be a sequence of 4 ints, got {input_shape!r}") from None
    if len(shape) != 4 or min(shape) < 0:
        raise ValueError(f"input_shape must be 4 non-negative ints (N, C, H, W), got {input_shape!r}")
    return shape


def max_pool2d_backward(grad_out, indices, input_shape):
    """Route each output gradient to its window's maximum.

    Parameters
    ----------
    grad_out : ndarray, (N, C, Ho, Wo), float32 or float64, C-contiguous
    indices : ndarray, grad_out's shape, int64, C-contiguous; values in [0, H*W)
    input_shape : sequence of 4 ints (N, C, H, W)

    Returns
    -------
    grad_input : ndarray, input_shape, grad_out's dtype
    """
    check_float(grad_out, "grad_out", 4)
    if not isinstance(indices, np.ndarray) or indices.dtype != np.int64 or indices.shape != grad_out.shape \
            or not indices.flags.c_contiguous:
        raise ValueError(f"indices must be a C-contiguous int64 array of shape {grad_out.shape}")
    shape = _input_shape(input_shape)
    if shape[:2] != grad_out.shape[:2]:
        raise ValueError(f"input_shape {input_shape} does not match grad_out {grad_out.shape}")
    N, C, H, W = shape
    gx = np.zeros(shape, grad_out.dtype)
    if grad_out.size and (H * W == 0 or _max_unpool_add(grad_out.reshape(N * C, -1), indices.reshape(N * C, -1),
                                                        gx.reshape(N * C, H * W))):
        raise IndexError(f"indices must lie in [0, {H * W})")
    return gx


def _avg_pool(const floating[:, :, ::1] x, floating[:, :, ::1] out, bint backward,
              Py_ssize_t H, Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
              Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t ho, Py_ssize_t wo, bint count_include_pad):
    """Forward: out = window means of x. Backward (x is grad_out, out is grad_input, zeroed): spread each
    gradient evenly over its window. Divisor as PyTorch: the window clipped to the padded input, or
    to the input itself when count_include_pad is false."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t plane, oy, ox, y0, x0, y1, x1, iy, ix, cnt
    cdef double acc
    cdef floating share
    cdef int nt = threads_for(x.shape[0] * ho * wo * kh * kw, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for plane in prange(x.shape[0], num_threads=nt, schedule="static"):
            for oy in range(ho):
                for ox in range(wo):
                    y0 = oy * sh - ph
                    x0 = ox * sw - pw
                    y1 = min(y0 + kh, H + ph)
                    x1 = min(x0 + kw, W + pw)
                    cnt = (y1 - y0) * (x1 - x0)
                    y0 = max(y0, 0)
                    x0 = max(x0, 0)
                    y1 = min(y1, H)
                    x1 = min(x1, W)
                    if not count_include_pad:
                        cnt = (y1 - y0) * (x1 - x0)
                    if backward:
                        share = <floating>(x[plane, oy, ox] / (cnt if cnt > 0 else 1))
                        for iy in range(y0, y1):
                            for ix in range(x0, x1):
                                out[plane, iy, ix] += share
                    else:
                        acc = 0
                        for iy in range(y0, y1):
                            for ix in range(x0, x1):
                                acc = acc + x[plane, iy, ix]
                        out[plane, oy, ox] = <floating>(acc / (cnt if cnt > 0 else 1))
        fastnn_team_end(&_team)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of each plane, as torch.nn.functional.avg_pool2d.

    Parameters
    ----------
    x : ndarray, (N, C, H, W), float32 or float64, C-contiguous
    kernel_size, stride, padding, ceil_mode : as for max_pool2d_forward (zero padding)
    count_include_pad : bool
        Divide by the window clipped to the padded input (True) or to the input itself (False).

    Returns
    -------
    out : ndarray, (N, C, Ho, Wo), x's dtype
    """
    ks, st, pd, dl, ho, wo = _check_pool(x, kernel_size, stride, padding, 1, ceil_mode)
    N, C, H, W = x.shape
    out = np.empty((N, C, ho, wo), x.dtype)
    if out.size:
        args = (H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], ho, wo, bool(count_include_pad))
        _avg_pool(x.reshape(N * C, H, W), out.reshape(N * C, ho, wo), False, *args)
    return out


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    """Gradient of avg_pool2d_forward: each output gradient spread evenly over its window.

    Parameters
    ----------
    grad_out : ndarray, (N, C, Ho, Wo), float32 or float64, C-contiguous
    input_shape : sequence of 4 ints (N, C, H, W)
    kernel_size, stride, padding, ceil_mode, count_include_pad : as given to avg_pool2d_forward

    Returns
    -------
    grad_input : ndarray, input_shape, grad_out's dtype
    """
    check_float(grad_out, "grad_out", 4)
    shape = _input_shape(input_shape)
    if shape[:2] != grad_out.shape[:2]:
        raise ValueError(f"input_shape {input_shape} does not match grad_out {grad_out.shape}")
    ks, st, pd, dl, ho, wo = _check_pool(np.empty(shape, grad_out.dtype), kernel_size, stride, padding, 1, ceil_mode)
    if grad_out.shape[2:] != (ho, wo):
        raise ValueError(f"grad_out must have spatial size {(ho, wo)}, got {grad_out.shape[2:]}")
    N, C, H, W = shape
    gx = np.zeros(shape, grad_out.dtype)
    if grad_out.size:
        args = (H, W, ks[0], ks[1], st[0], st[1], pd[0], pd[1], ho, wo, bool(count_include_pad))
        _avg_pool(grad_out.reshape(N * C, ho, wo), gx.reshape(N * C, H, W), True, *args)
    return gx


# ----------------------------------------------------------------------------- nearest upsampling

def _upsample(const floating[:, :, ::1] src, floating[:, :, ::1] dst, Py_ssize_t fh, Py_ssize_t fw,
              bint backward):
    """Forward: dst (planes, H*fh, W*fw) repeats src. Backward: dst (planes, H, W) sums src's blocks.
    Row by row, without a division per element (y // fh and x // fw by run-time factors cost more than the
    copy: (128, 16, 14, 14) upsampled 2x took 1.6 ms forward and 2 ms backward)."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t plane, y, x, j, r, H, W
    cdef int nt = threads_for(src.shape[0] * src.shape[1] * src.shape[2], MIN_WORK)
    cdef floating *o
    cdef const floating *i
    cdef floating acc
    with nogil:
        if backward:
            H = dst.shape[1]
            W = dst.shape[2]
            fastnn_team_begin(&_team, nt)
            for plane in prange(src.shape[0], num_threads=nt, schedule="static"):
                for y in range(H):
                    o = &dst[plane, y, 0]
                    for r in range(fh):   # the fh source rows of output row y, in order
                        i = &src[plane, y * fh + r, 0]
                        if fw == 2:
                            for x in range(W):
                                o[x] += i[2 * x] + i[2 * x + 1]
                        else:
                            for x in range(W):
                                acc = 0
                                for j in range(fw):
                                    acc = acc + i[x * fw + j]
                                o[x] += acc
            fastnn_team_end(&_team)
        else:
            H = src.shape[1]
            W = src.shape[2]
            fastnn_team_begin(&_team, nt)
            for plane in prange(src.shape[0], num_threads=nt, schedule="static"):
                for y in range(H):
                    i = &src[plane, y, 0]
                    o = &dst[plane, y * fh, 0]
                    if fw == 2:
                        for x in range(W):
                            o[2 * x] = i[x]
                            o[2 * x + 1] = i[x]
                    else:
                        for x in range(W):
                            for j in range(fw):
                                o[x * fw + j] = i[x]
                    for r in range(1, fh):   # the other fh - 1 rows repeat the first
                        memcpy(o + r * W * fw, o, W * fw * sizeof(floating))
            fastnn_team_end(&_team)


def upsample_nearest2d_forward(x, scale_h, scale_w):
    """Nearest upsampling by integer factors: each pixel repeated scale_h x scale_w times.

    Parameters
    ----------
    x : ndarray, (N, C, H, W), float32 or float64, C-contiguous
    scale_h, scale_w : int, positive

    Returns
    -------
    out : ndarray, (N, C, H*scale_h, W*scale_w), x's dtype
    """
    check_float(x, "input", 4)
    fh, fw = _pair((scale_h, scale_w), "scale_factor", True)
    N, C, H, W = x.shape
    out = np.empty((N, C, H * fh, W * fw), x.dtype)
    if out.size:
        _upsample(x.reshape(N * C, H, W), out.reshape(N * C, H * fh, W * fw), fh, fw, False)
    return out


def upsample_nearest2d_backward(grad_out, scale_h, scale_w):
    """Gradient of upsample_nearest2d_forward: grad_out summed over each pixel's block.

    Parameters
    ----------
    grad_out : ndarray, (N, C, H*scale_h, W*scale_w), float32 or float64, C-contiguous
    scale_h, scale_w : int, positive

    Returns
    -------
    grad_input : ndarray, (N, C, H, W), grad_out's dtype
    """
    check_float(grad_out, "grad_out", 4)
    fh, fw = _pair((scale_h, scale_w), "scale_factor", True)
    N, C, Ho, Wo = grad_out.shape
    if Ho % fh or Wo % fw:
        raise ValueError(f"grad_out spatial size {(Ho, Wo)} is not a multiple of the scale factors {(fh, fw)}")
    gx = np.zeros((N, C, Ho // fh, Wo // fw), grad_out.dtype)
    if gx.size:
        _upsample(grad_out.reshape(N * C, Ho, Wo), gx.reshape(N * C, Ho // fh, Wo // fw), fh, fw, True)
    return gx
