"""Reference convolution, pooling and upsampling, written as sums over kernel offsets.

For each kernel offset (i, j) the input pixels it touches form a strided slice of the
padded input, so every formula below is the textbook sum
    out[n, o, y, x] = sum_{c, i, j} w[o, c, i, j] * xpad[n, c, y*s + i*d, x*s + j*d]
evaluated one offset at a time.
"""
import numpy as np


def _pair(v, name):
    """(a, b) from an int or a 2-tuple/list: exactly what the compiled kernels accept."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        return tuple(v)
    return v, v


def _window(a, i, j, ho, wo, st, dl):
    """The (.., ho, wo) slice of a that kernel offset (i, j) reads."""
    return a[..., i * dl[0]: i * dl[0] + st[0] * (ho - 1) + 1: st[0], j * dl[1]: j * dl[1] + st[1] * (wo - 1) + 1: st[1]]


def _grouped(a, groups):
    """(N, C, ...) -> (N, groups, C/groups, ...)."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, *a.shape[2:])


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    st, pd, dl = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pd[0], pd[0]), (pd[1], pd[1])))
    ho = (H + 2 * pd[0] - dl[0] * (kh - 1) - 1) // st[0] + 1
    wo = (W + 2 * pd[1] - dl[1] * (kw - 1) - 1) // st[1] + 1
    wg = weight.reshape(groups, O // groups, C // groups, kh, kw)
    out = np.zeros((N, groups, O // groups, ho, wo), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = _grouped(_window(xp, i, j, ho, wo, st, dl), groups)
            out += np.einsum("ngchw,goc->ngohw", patch, wg[..., i, j])
    out = out.reshape(N, O, ho, wo)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out.astype(x.dtype)


def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1, groups=1,
                    need_input=True, need_weight=True, need_bias=True):
    st, pd, dl = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pd[0], pd[0]), (pd[1], pd[1]))).astype(np.float64)
    gxp = np.zeros_like(xp)
    wg = weight.reshape(groups, O // groups, C // groups, kh, kw)
    gw = np.zeros(wg.shape, np.float64)
    g = _grouped(grad_out, groups)
    for i in range(kh):
        for j in range(kw):
            patch = _grouped(_window(xp, i, j, ho, wo, st, dl), groups)
            gw[..., i, j] = np.einsum("ngohw,ngchw->goc", g, patch)
            target = _grouped(_window(gxp, i, j, ho, wo, st, dl), groups)
            target += np.einsum("ngohw,goc->ngchw", g, wg[..., i, j])
    gx = gxp[:, :, pd[0]: pd[0] + H, pd[1]: pd[1] + W].astype(x.dtype) if need_input else None
    return (gx, gw.reshape(weight.shape).astype(x.dtype) if need_weight else None,
            grad_out.sum(axis=(0, 2, 3)) if need_bias else None)


def _transpose_size(H, k, s, p, op, d):
    return (H - 1) * s - 2 * p + d * (k - 1) + op + 1


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """out[n, o, y*s - p + i*d, x*s - p + j*d] += x[n, c, y, x] * w[c, o, i, j] (within each group)."""
    st, pd, dl = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    op = _pair(output_padding, "output_padding")
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    Ho = _transpose_size(H, kh, st[0], pd[0], op[0], dl[0])
    Wo = _transpose_size(W, kw, st[1], pd[1], op[1], dl[1])
    buf = np.zeros((N, groups, Og, Ho + 2 * pd[0], Wo + 2 * pd[1]), np.float64)
    wg = weight.reshape(groups, C // groups, Og, kh, kw)
    xg = _grouped(x, groups)
    for i in range(kh):
        for j in range(kw):
            _window(buf, i, j, H, W, st, dl)[...] += np.einsum("ngchw,gco->ngohw", xg, wg[..., i, j])
    out = buf[..., pd[0]: pd[0] + Ho, pd[1]: pd[1] + Wo].reshape(N, groups * Og, Ho, Wo)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(out).astype(x.dtype)


def conv_transpose2d_backward(x, weight, grad_out, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                              need_input=True, need_weight=True, need_bias=True):
    st, pd, dl = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    gp = np.pad(grad_out.astype(np.float64), ((0, 0), (0, 0), (pd[0], pd[0]), (pd[1], pd[1])))
    gpg = _grouped(gp, groups)
    wg = weight.reshape(groups, C // groups, Og, kh, kw)
    xg = _grouped(x, groups)
    gx = np.zeros(xg.shape, np.float64)
    gw = np.zeros(wg.shape, np.float64)
    for i in range(kh):
        for j in range(kw):
            win = _window(gpg, i, j, H, W, st, dl)
            gx += np.einsum("ngohw,gco->ngchw", win, wg[..., i, j])
            gw[..., i, j] = np.einsum("ngchw,ngohw->gco", xg, win)
    return (gx.reshape(x.shape).astype(x.dtype) if need_input else None,
            gw.reshape(weight.shape).astype(x.dtype) if need_weight else None,
            grad_out.sum(axis=(0, 2, 3)) if need_bias else None)


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(shape, kernel_size, stride, padding, dilation, ceil_mode):
    ks = _pair(kernel_size, "kernel_size")
    st = ks if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _pair(stride, "stride")
    pd, dl = _pair(padding, "padding"), _pair(dilation, "dilation")
    ho = _pool_size(shape[2], ks[0], st[0], pd[0], dl[0], ceil_mode)
    wo = _pool_size(shape[3], ks[1], st[1], pd[1], dl[1], ceil_mode)
    # room on the far side for windows that overhang under ceil_mode
    extra_h = max(0, (ho - 1) * st[0] + dl[0] * (ks[0] - 1) + 1 - (shape[2] + 2 * pd[0]))
    extra_w = max(0, (wo - 1) * st[1] + dl[1] * (ks[1] - 1) + 1 - (shape[3] + 2 * pd[1]))
    return ks, st, pd, dl, ho, wo, extra_h, extra_w


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    ks, st, pd, dl, ho, wo, eh, ew = _pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    H, W = x.shape[2:]
    pad = ((0, 0), (0, 0), (pd[0], pd[0] + eh), (pd[1], pd[1] + ew))
    xp = np.pad(x, pad, constant_values=-np.inf)
    # flat input position of every padded pixel (-1 outside the input)
    rows = np.arange(-pd[0], H + pd[0] + eh)
    cols = np.arange(-pd[1], W + pd[1] + ew)
    pos = np.where(((rows >= 0) & (rows < H))[:, None] & ((cols >= 0) & (cols < W))[None, :],
                   rows[:, None] * W + cols[None, :], -1)
    windows = np.stack([_window(xp, i, j, ho, wo, st, dl) for i in range(ks[0]) for j in range(ks[1])])
    where = np.stack([_window(pos, i, j, ho, wo, st, dl) for i in range(ks[0]) for j in range(ks[1])])
    best = np.argmax(windows, axis=0)  # first maximum (NaN counts as the maximum)
    out = np.take_along_axis(windows, best[None], 0)[0]
    idx = np.take_along_axis(np.broadcast_to(where[:, None, None], windows.shape), best[None], 0)[0]
    return out.astype(x.dtype), idx.astype(np.int64)


def max_pool2d_backward(grad_out, indices, input_shape):
    N, C, H, W = input_shape
    gx = np.zeros((N * C, H * W), grad_out.dtype)
    rows = np.repeat(np.arange(N * C), indices[0, 0].size) if grad_out.size else np.zeros(0, int)
    np.add.at(gx, (rows, indices.reshape(-1)), grad_out.reshape(-1))
    return gx.reshape(input_shape)


def _avg_counts(shape, ks, st, pd, ho, wo, eh, ew, count_include_pad):
    H, W = shape[2:]
    region = np.zeros((H + 2 * pd[0] + eh, W + 2 * pd[1] + ew))
    if count_include_pad:
        region[: H + 2 * pd[0], : W + 2 * pd[1]] = 1
    else:
        region[pd[0]: pd[0] + H, pd[1]: pd[1] + W] = 1
    return sum(_window(region, i, j, ho, wo, st, (1, 1)) for i in range(ks[0]) for j in range(ks[1]))


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    ks, st, pd, dl, ho, wo, eh, ew = _pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pd[0], pd[0] + eh), (pd[1], pd[1] + ew)))
    total = sum(_window(xp, i, j, ho, wo, st, (1, 1)) for i in range(ks[0]) for j in range(ks[1]))
    counts = _avg_counts(x.shape, ks, st, pd, ho, wo, eh, ew, count_include_pad)
    return (total / counts).astype(x.dtype)


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    ks, st, pd, dl, ho, wo, eh, ew = _pool_geometry(input_shape, kernel_size, stride, padding, 1, ceil_mode)
    N, C, H, W = input_shape
    gp = np.zeros((N, C, H + 2 * pd[0] + eh, W + 2 * pd[1] + ew))
    share = grad_out / _avg_counts(input_shape, ks, st, pd, ho, wo, eh, ew, count_include_pad)
    for i in range(ks[0]):
        for j in range(ks[1]):
            _window(gp, i, j, ho, wo, st, (1, 1))[...] += share
    return gp[:, :, pd[0]: pd[0] + H, pd[1]: pd[1] + W].astype(grad_out.dtype)


def upsample_nearest2d_forward(x, scale_h, scale_w):
    return np.repeat(np.repeat(x, scale_h, axis=2), scale_w, axis=3)


def upsample_nearest2d_backward(grad_out, scale_h, scale_w):
    N, C, Ho, Wo = grad_out.shape
    return grad_out.reshape(N, C, Ho // scale_h, scale_h, Wo // scale_w, scale_w).sum(axis=(3, 5))
