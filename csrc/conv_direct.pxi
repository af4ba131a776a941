# Direct stride-1 convolution drivers (kernels in csrc/directconv.h): each (image, group)
# task copies its input planes into a zero-padded per-thread buffer and runs the taps over
# it, in place of an im2col matrix. conv.pyx decides when this path pays. Included by conv.pyx.


cdef int _direct_threads(Py_ssize_t tasks, Py_ssize_t work):
    """Threads for `tasks` independent tasks of `work` multiply-adds in all (at least 1)."""
    return max(1, min(threads_for(work, MIN_WORK), tasks))


cdef class _DirectPlan:
    """Padded-plane geometry: rows of Wp values, planes of ps, outputs on the ho x Wp grid
    (L values, rounded up to La), tap t = (i, j) reading at off[t] = i*dh*Wp + j*dw."""
    cdef public Py_ssize_t Wp, ps, L, La, xlen
    cdef public object off

    def __init__(self, Py_ssize_t H, Py_ssize_t W, Py_ssize_t cg, Py_ssize_t kh, Py_ssize_t kw,
                 Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho):
        self.Wp = W + 2 * pw
        self.ps = (H + 2 * ph) * self.Wp
        self.L = ho * self.Wp
        self.La = (self.L + FNN_DC_PAD - 1) // FNN_DC_PAD * FNN_DC_PAD
        self.xlen = cg * self.ps + FNN_DC_PAD + (kw - 1) * dw   # rounded rows read past the planes
        i, j = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        self.off = np.ascontiguousarray((i * dh * self.Wp + j * dw).ravel(), dtype=np.intp)


cdef inline void _pad_planes(const floating[:, :, :, ::1] x, Py_ssize_t n, Py_ssize_t c0, Py_ssize_t cg,
                             Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t Wp, Py_ssize_t ps,
                             floating* xp, Py_ssize_t xlen) noexcept nogil:
    """xp[c*ps + (y+ph)*Wp + x+pw] = x[n, c0+c, y, x]; the first xlen values zeroed first
    (0 when the caller zeroed the buffer already)."""
    cdef Py_ssize_t c, y, H = x.shape[2], W = x.shape[3]
    if xlen:
        memset(xp, 0, xlen * sizeof(floating))
    for c in range(cg):
        for y in range(H):
            memcpy(xp + c * ps + (y + ph) * Wp + pw, &x[n, c0 + c, y, 0], W * sizeof(floating))


cdef inline void _grid_rows(const floating[:, :, :, ::1] gout, Py_ssize_t n, Py_ssize_t co0, Py_ssize_t coutg,
                            Py_ssize_t Wp, Py_ssize_t La, floating* gp) noexcept nogil:
    """gp[co*La + oy*Wp + ox] = gout[n, co0+co, oy, ox]; zero in the discarded columns (ox >= wo),
    so that they add nothing to sums over the grid."""
    cdef Py_ssize_t co, oy, ho = gout.shape[2], wo = gout.shape[3]
    memset(gp, 0, coutg * La * sizeof(floating))
    for co in range(coutg):
        for oy in range(ho):
            memcpy(gp + co * La + oy * Wp, &gout[n, co0 + co, oy, 0], wo * sizeof(floating))


def _direct_forward(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] w, const floating[::1] bias,
                    Py_ssize_t groups, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan,
                    Py_ssize_t[::1] off, floating[:, :, :, ::1] out,
                    floating[:, ::1] xbuf, floating[:, ::1] abuf):
    """out = conv(x, w) + bias, one (image, group) per task; xbuf/abuf rows are per thread."""
    cdef Py_ssize_t cg = w.shape[1], coutg = w.shape[0] // groups, taps = w.shape[2] * w.shape[3]
    cdef Py_ssize_t ho = out.shape[2], wo = out.shape[3], Wp = plan.Wp, La = plan.La
    cdef Py_ssize_t tasks = x.shape[0] * groups, task, n, g, co, oy, ox, tid
    cdef floating b
    cdef const floating* bp = const_data_or_null(bias)
    cdef floating* acc
    cdef int nt = xbuf.shape[0]
    with nogil:
        with parallel(num_threads=nt):
            for task in prange(tasks, schedule="static"):
                tid = threadid()
                n = task // groups
                g = task % groups
                _pad_planes(x, n, g * cg, cg, ph, pw, Wp, plan.ps, &xbuf[tid, 0], plan.xlen)
                acc = &abuf[tid, 0]
                direct_acc(&xbuf[tid, 0], cg, plan.ps, &w[g * coutg, 0, 0, 0], coutg, &off[0], taps, acc, La)
                for co in range(coutg):
                    b = bp[g * coutg + co] if bp != NULL else 0
                    for oy in range(ho):
                        for ox in range(wo):
                            out[n, g * coutg + co, oy, ox] = acc[co * La + oy * Wp + ox] + b


def _direct_wgrad(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] gout, Py_ssize_t groups, Py_ssize_t cg,
                  Py_ssize_t taps, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                  Py_ssize_t per_task, floating[:, ::1] gwt, floating[:, ::1] xbuf,
                  floating[:, ::1] gbuf):
    """gwt[thread] += weight gradient (as lane partial sums) of the tasks that thread ran; a task
    is up to per_task images of one group, laid out one after another in the thread's buffers."""
    cdef Py_ssize_t N = x.shape[0], coutg = gout.shape[1] // groups
    cdef Py_ssize_t Wp = plan.Wp, La = plan.La, xs = cg * plan.ps, gs = coutg * La
    cdef Py_ssize_t chunks = (N + per_task - 1) // per_task, task, n0, nimg, m, g, tid
    cdef floating* gp
    cdef int nt = xbuf.shape[0]
    with nogil:
        with parallel(num_threads=nt):
            for task in prange(chunks * groups, schedule="static"):
                tid = threadid()
                g = task % groups
                n0 = (task // groups) * per_task
                nimg = min(per_task, N - n0)
                gp = &gbuf[tid, 0]
                memset(&xbuf[tid, 0], 0, xbuf.shape[1] * sizeof(floating))  # padding and the tail rounded rows read
                for m in range(nimg):
                    _pad_planes(x, n0 + m, g * cg, cg, ph, pw, Wp, plan.ps, &xbuf[tid, m * xs], 0)
                    _grid_rows(gout, n0 + m, g * coutg, coutg, Wp, La, gp + m * gs)
                direct_wgrad(&xbuf[tid, 0], cg, plan.ps, xs, gp, coutg, gs, nimg, &off[0], taps,
                             &gwt[tid, g * coutg * cg * taps * FNN_DC_WLANES], La)


def _direct_scatter(const floating[:, :, :, ::1] gout, const floating[:, :, :, ::1] wt, Py_ssize_t groups,
                    Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                    floating[:, :, :, ::1] gx, floating[:, ::1] abuf, floating[:, ::1] gbuf):
    """gx = input gradient, one (image, group) per task: grad_out rows on the padded grid are
    scattered through the taps into padded input planes, whose interior is gx."""
    cdef Py_ssize_t cg = gx.shape[1] // groups, coutg = gout.shape[1] // groups, taps = wt.shape[1]
    cdef Py_ssize_t H = gx.shape[2], W = gx.shape[3], Wp = plan.Wp, La = plan.La, ps = plan.ps
    cdef Py_ssize_t tasks = gout.shape[0] * groups, task, n, g, c, y, tid
    cdef floating* acc
    cdef floating* gp
    cdef int nt = abuf.shape[0]
    with nogil:
        with parallel(num_threads=nt):
            for task in prange(tasks, schedule="static"):
                tid = threadid()
                n = task // groups
                g = task % groups
                gp = &gbuf[tid, 0]
                acc = &abuf[tid, 0]
                _grid_rows(gout, n, g * coutg, coutg, Wp, La, gp)
                memset(acc, 0, abuf.shape[1] * sizeof(floating))
                direct_scatter(gp, coutg, &wt[g, 0, 0, 0], cg, &off[0], taps, acc, ps, La)
                for c in range(cg):
                    for y in range(H):
                        memcpy(&gx[n, g * cg + c, y, 0], acc + c * ps + (y + ph) * Wp + pw, W * sizeof(floating))


def _direct_input_grad_scatter(x_shape, weight, gout, Py_ssize_t groups, pd, dl):
    cdef Py_ssize_t N = x_shape[0], cout = weight.shape[0], cg = weight.shape[1]
    cdef Py_ssize_t kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x_shape[2], x_shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1],
                                        gout.shape[2])
    cdef int nt = _direct_threads(N * groups, N * cout * cg * kh * kw * plan.L)
    # weights as (group, tap, out channel of the group, in channel): the kernel reads in channels in a row
    wt = np.ascontiguousarray(weight.reshape(groups, cout // groups, cg, kh * kw).transpose(0, 3, 1, 2))
    gx = np.empty(x_shape, gout.dtype)
    abuf = np.empty((nt, plan.xlen), gout.dtype)
    gbuf = np.empty((nt, cout // groups * plan.La), gout.dtype)
    _direct_scatter(gout, wt, groups, pd[0], pd[1], plan, plan.off, gx, abuf, gbuf)
    return gx


def _direct_conv(x, weight, bias, Py_ssize_t groups, pd, dl, Py_ssize_t ho, Py_ssize_t wo):
    """Stride-1 convolution by the direct path: (N, C, H, W) -> (N, Cout, ho, wo)."""
    cdef Py_ssize_t N = x.shape[0], cg = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x.shape[2], x.shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1], ho)
    cdef int nt = _direct_threads(N * groups, N * weight.shape[0] * cg * kh * kw * plan.L)
    out = np.empty((N, weight.shape[0], ho, wo), x.dtype)
    xbuf = np.empty((nt, plan.xlen), x.dtype)
    abuf = np.empty((nt, weight.shape[0] // groups * plan.La), x.dtype)
    _direct_forward(x, weight, bias, groups, pd[0], pd[1], plan, plan.off, out, xbuf, abuf)
    return out


def _direct_input_grad_flipped(x_shape, weight, gout, Py_ssize_t groups, pd, dl):
    """The input gradient is the convolution of grad_out, padded by the kernel's reach less
    the forward padding, with the kernel flipped and its channel axes swapped."""
    cout, cg, kh, kw = weight.shape
    coutg = cout // groups
    wt = weight.reshape(groups, coutg, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    wt = np.ascontiguousarray(wt.reshape(groups * cg, coutg, kh, kw))
    pad_t = (dl[0] * (kh - 1) - pd[0], dl[1] * (kw - 1) - pd[1])
    return _direct_conv(gout, wt, None, groups, pad_t, dl, x_shape[2], x_shape[3])


# One task's images: 256 KB, chosen by size to fit a core's L2 (2 MB on the project's Xeon) with room
# to spare; not measured against other sizes.
cdef Py_ssize_t WGRAD_TASK_BYTES = 256 << 10


def _direct_weight_grad(x, weight, gout, Py_ssize_t groups, pd, dl):
    cdef Py_ssize_t N = x.shape[0], cout = weight.shape[0], cg = weight.shape[1]
    cdef Py_ssize_t kh = weight.shape[2], kw = weight.shape[3]
    cdef _DirectPlan plan = _DirectPlan(x.shape[2], x.shape[3], cg, kh, kw, pd[0], pd[1], dl[0], dl[1],
                                        gout.shape[2])
    cdef Py_ssize_t work = N * cout * cg * kh * kw * plan.L
    cdef Py_ssize_t per_image = cg * plan.ps + cout // groups * plan.La
    # several images per task (fewer lane-sum updates), but at least 4 tasks per thread
    cdef int nt = threads_for(work, MIN_WORK)
    per_task = max(1, min(WGRAD_TASK_BYTES // (per_image * x.itemsize), -(-N // (4 * nt))))
    nt = _direct_threads(-(-N // per_task) * groups, work)
    gwt = np.zeros((nt, weight.size * FNN_DC_WLANES), x.dtype)
    xbuf = np.empty((nt, (per_task - 1) * cg * plan.ps + plan.xlen), x.dtype)   # planes, then the slack
    gbuf = np.empty((nt, per_task * (cout // groups) * plan.La), x.dtype)
    _direct_wgrad(x, gout, groups, cg, kh * kw, pd[0], pd[1], plan, plan.off, per_task, gwt, xbuf, gbuf)
    return gwt.reshape(nt, weight.size, FNN_DC_WLANES).sum(axis=(0, 2)).reshape(weight.shape)

