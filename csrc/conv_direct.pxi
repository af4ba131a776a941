# Direct stride-1 convolution drivers (kernels in csrc/directconv.h): each (image, group)
# task copies its input planes into a zero-padded per-thread buffer and runs the taps over
# it, in place of an im2col matrix. conv.pyx decides when this path pays. Included by conv.pyx.


cdef extern from *:
    """
    /* dst[0:n] = src[0:n] for the short rows of a plane (a 28-wide image's 112 bytes): 32-byte copies of known size,
     * which GCC makes vector moves, then the tail, in place of a libc memcpy call per row. Autoencoder layers
     * (N=128, 8 -> 8 channels, k3 p1) forward+backward, Xeon AVX-512, 2 threads: 7 x 7 0.369 -> 0.346 ms, 8 x 8
     * 0.433 -> 0.417 (first quartiles, both builds in one process); larger planes within noise. */
    static inline void fnn_copy_row_bytes(void *dst, const void *src, size_t n) {
        char *d = (char *)dst;
        const char *s = (const char *)src;
        for (; n >= 32; n -= 32, d += 32, s += 32) memcpy(d, s, 32);
        if (n >= 16) { memcpy(d, s, 16); n -= 16; d += 16; s += 16; }
        if (n >= 8) { memcpy(d, s, 8); n -= 8; d += 8; s += 8; }
        if (n >= 4) { memcpy(d, s, 4); n -= 4; d += 4; s += 4; }
        if (n) memcpy(d, s, n);
    }
    """
    void fnn_copy_row_bytes(void *dst, const void *src, size_t n) nogil


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
        cdef Py_ssize_t i, j
        cdef Py_ssize_t[::1] off
        self.off = np.empty(kh * kw, np.intp)   # (filled in a loop: np.meshgrid cost more than an 8x8 layer's pass)
        off = self.off
        for i in range(kh):
            for j in range(kw):
                off[i * kw + j] = i * dh * self.Wp + j * dw


ctypedef struct _DirectJob:
    # One direct pass over tasks (an image, or a run of images, and a group), for float (single)
    # or double arrays: src planes (N, src_c, H, W) padded into buf_a, the taps' weights w, and
    # gout (N, gout_c, ho, wo) (forward: out) on the padded grid in buf_b; each part's buffers
    # at part * a_len / b_len. Tasks are claimed through `next`.
    bint single
    const void* src
    const void* w
    const void* bias
    void* gout
    void* dst
    void* buf_a
    void* buf_b
    const Py_ssize_t* off
    Py_ssize_t a_len, b_len
    Py_ssize_t N, src_c, H, W, gout_c, ho, wo, groups, cg, coutg, taps, ph, pw, Wp, ps, La, xlen, per_task
    Py_ssize_t tasks, next
    Py_ssize_t runs      # the weight gradient's: runs of tasks, one accumulator each (_claim_run)


cdef inline void _pad_planes(const floating* x, Py_ssize_t H, Py_ssize_t W, Py_ssize_t cg,
                             Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t Wp, Py_ssize_t ps,
                             floating* xp, Py_ssize_t xlen) noexcept nogil:
    """xp[c*ps + (y+ph)*Wp + x+pw] = the planes x[c, y, x], c < cg (each H x W, one after
    another); the first xlen values zeroed first (0 when the caller zeroed the buffer already)."""
    cdef Py_ssize_t c, y
    if xlen:
        memset(xp, 0, xlen * sizeof(floating))
    for c in range(cg):
        for y in range(H):
            fnn_copy_row_bytes(xp + c * ps + (y + ph) * Wp + pw, x + (c * H + y) * W, W * sizeof(floating))


cdef inline void _grid_rows(const floating* g, Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t coutg,
                            Py_ssize_t Wp, Py_ssize_t La, floating* gp) noexcept nogil:
    """gp[co*La + oy*Wp + ox] = the planes g[co, oy, ox], co < coutg; zero in the discarded
    columns (ox >= wo), so that they add nothing to sums over the grid."""
    cdef Py_ssize_t co, oy
    memset(gp, 0, coutg * La * sizeof(floating))
    for co in range(coutg):
        for oy in range(ho):
            fnn_copy_row_bytes(gp + co * La + oy * Wp, g + (co * ho + oy) * wo, wo * sizeof(floating))


cdef void _forward_tasks(_DirectJob* j, int part, floating* kind) noexcept nogil:
    """out = conv(x, w) + bias, one (image, group) per task. (kind only selects the type.)"""
    cdef Py_ssize_t task, n, g, co, oy, ox, coutg = j.coutg, cout = j.gout_c, ho = j.ho, wo = j.wo
    cdef Py_ssize_t Wp = j.Wp, La = j.La
    cdef const floating* bp = <const floating*>j.bias
    cdef floating* xb = <floating*>j.buf_a + part * j.a_len
    cdef floating* acc = <floating*>j.buf_b + part * j.b_len
    cdef floating* o
    cdef floating b
    while True:
        task = fnn_claim(&j.next)
        if task >= j.tasks:
            return
        n = task // j.groups
        g = task % j.groups
        _pad_planes(<const floating*>j.src + (n * j.src_c + g * j.cg) * j.H * j.W, j.H, j.W, j.cg, j.ph, j.pw,
                    Wp, j.ps, xb, j.xlen)
        direct_acc(xb, j.cg, j.ps, <const floating*>j.w + g * coutg * j.cg * j.taps, coutg, j.off, j.taps, acc, La)
        for co in range(coutg):
            b = bp[g * coutg + co] if bp != NULL else 0
            o = <floating*>j.dst + (n * cout + g * coutg + co) * ho * wo
            for oy in range(ho):
                for ox in range(wo):
                    o[oy * wo + ox] = acc[co * La + oy * Wp + ox] + b


cdef void _wgrad_tasks(_DirectJob* j, int part, floating* kind) noexcept nogil:
    """dst[r] += weight gradient (as lane partial sums) of the tasks of each run r this part claims
    (_claim_run: one run per part's row of dst); a task is up to per_task images of one group, laid out one
    after another in the part's buffers."""
    cdef Py_ssize_t task, run, first, end, coutg = j.coutg, cg = j.cg
    cdef floating* xb = <floating*>j.buf_a + part * j.a_len
    cdef floating* gp = <floating*>j.buf_b + part * j.b_len
    cdef floating* gwt
    while True:
        run = _claim_run(&j.next, j.runs, j.tasks, &first, &end)
        if run < 0:
            return
        gwt = <floating*>j.dst + run * j.groups * coutg * cg * j.taps * FNN_DC_WLANES
        for task in range(first, end):
            _wgrad_task(j, task, xb, gp, gwt)


cdef void _wgrad_task(_DirectJob* j, Py_ssize_t task, floating* xb, floating* gp, floating* gwt) noexcept nogil:
    """gwt += the weight gradient (as lane partial sums) of one task, through the part's xb and gp."""
    cdef Py_ssize_t n0, nimg, m, g, coutg = j.coutg, cg = j.cg
    cdef Py_ssize_t xs = cg * j.ps, gs = coutg * j.La
    g = task % j.groups
    n0 = (task // j.groups) * j.per_task
    nimg = min(j.per_task, j.N - n0)
    memset(xb, 0, j.a_len * sizeof(floating))  # padding and the tail rounded rows read
    for m in range(nimg):
        _pad_planes(<const floating*>j.src + ((n0 + m) * j.src_c + g * cg) * j.H * j.W, j.H, j.W, cg, j.ph,
                    j.pw, j.Wp, j.ps, xb + m * xs, 0)
        _grid_rows(<const floating*>j.gout + ((n0 + m) * j.gout_c + g * coutg) * j.ho * j.wo, j.ho, j.wo,
                   coutg, j.Wp, j.La, gp + m * gs)
    direct_wgrad(xb, cg, j.ps, xs, gp, coutg, gs, nimg, j.off, j.taps,
                 gwt + g * coutg * cg * j.taps * FNN_DC_WLANES, j.La)


cdef void _scatter_tasks(_DirectJob* j, int part, floating* kind) noexcept nogil:
    """gx = input gradient, one (image, group) per task: grad_out rows on the padded grid are
    scattered through the taps into padded input planes, whose interior is gx."""
    cdef Py_ssize_t task, n, g, c, y, cg = j.cg, coutg = j.coutg, H = j.H, W = j.W
    cdef floating* acc = <floating*>j.buf_a + part * j.a_len
    cdef floating* gp = <floating*>j.buf_b + part * j.b_len
    while True:
        task = fnn_claim(&j.next)
        if task >= j.tasks:
            return
        n = task // j.groups
        g = task % j.groups
        _grid_rows(<const floating*>j.gout + (n * j.gout_c + g * coutg) * j.ho * j.wo, j.ho, j.wo, coutg, j.Wp,
                   j.La, gp)
        memset(acc, 0, j.a_len * sizeof(floating))
        direct_scatter(gp, coutg, <const floating*>j.w + g * j.taps * coutg * cg, cg, j.off, j.taps, acc, j.ps, j.La)
        for c in range(cg):
            for y in range(H):
                fnn_copy_row_bytes(<floating*>j.dst + ((n * j.src_c + g * cg + c) * H + y) * W,
                                   acc + c * j.ps + (y + j.ph) * j.Wp + j.pw, W * sizeof(floating))


cdef void _forward_part_d(void* ctx, int part) noexcept nogil:
    if (<_DirectJob*>ctx).single:
        _forward_tasks(<_DirectJob*>ctx, part, <float*>NULL)
    else:
        _forward_tasks(<_DirectJob*>ctx, part, <double*>NULL)


cdef void _wgrad_part_d(void* ctx, int part) noexcept nogil:
    if (<_DirectJob*>ctx).single:
        _wgrad_tasks(<_DirectJob*>ctx, part, <float*>NULL)
    else:
        _wgrad_tasks(<_DirectJob*>ctx, part, <double*>NULL)


cdef void _scatter_part_d(void* ctx, int part) noexcept nogil:
    if (<_DirectJob*>ctx).single:
        _scatter_tasks(<_DirectJob*>ctx, part, <float*>NULL)
    else:
        _scatter_tasks(<_DirectJob*>ctx, part, <double*>NULL)


cdef void _plan_job(_DirectJob* j, _DirectPlan plan, Py_ssize_t[::1] off, Py_ssize_t groups, Py_ssize_t ph,
                    Py_ssize_t pw, Py_ssize_t taps):
    j.off = &off[0]
    j.groups, j.ph, j.pw, j.taps = groups, ph, pw, taps
    j.Wp, j.ps, j.La, j.xlen = plan.Wp, plan.ps, plan.La, plan.xlen


def _direct_forward(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] w, const floating[::1] bias,
                    Py_ssize_t groups, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan,
                    Py_ssize_t[::1] off, floating[:, :, :, ::1] out,
                    floating[:, ::1] xbuf, floating[:, ::1] abuf):
    """out = conv(x, w) + bias, one (image, group) per task; xbuf/abuf rows are per part."""
    cdef _DirectJob j
    _plan_job(&j, plan, off, groups, ph, pw, w.shape[2] * w.shape[3])
    j.single = floating is float
    j.src, j.w, j.bias, j.dst = &x[0, 0, 0, 0], &w[0, 0, 0, 0], const_data_or_null(bias), &out[0, 0, 0, 0]
    j.buf_a, j.buf_b, j.a_len, j.b_len = &xbuf[0, 0], &abuf[0, 0], xbuf.shape[1], abuf.shape[1]
    j.N, j.src_c, j.H, j.W = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
    j.gout_c, j.ho, j.wo = out.shape[1], out.shape[2], out.shape[3]
    j.cg, j.coutg = w.shape[1], w.shape[0] // groups
    j.tasks = j.N * groups
    with nogil:
        _run_parts(&j.next, <int>xbuf.shape[0], _forward_part_d, &j)


def _direct_wgrad(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] gout, Py_ssize_t groups, Py_ssize_t cg,
                  Py_ssize_t taps, Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                  Py_ssize_t per_task, floating[:, ::1] gwt, floating[:, ::1] xbuf,
                  floating[:, ::1] gbuf):
    """gwt[part] += weight gradient (as lane partial sums) of the tasks that part ran; a task is
    up to per_task images of one group, laid out one after another in the part's buffers."""
    cdef _DirectJob j
    _plan_job(&j, plan, off, groups, ph, pw, taps)
    j.single = floating is float
    j.src, j.gout, j.dst = &x[0, 0, 0, 0], &gout[0, 0, 0, 0], &gwt[0, 0]
    j.buf_a, j.buf_b, j.a_len, j.b_len = &xbuf[0, 0], &gbuf[0, 0], xbuf.shape[1], gbuf.shape[1]
    j.N, j.src_c, j.H, j.W = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
    j.gout_c, j.ho, j.wo = gout.shape[1], gout.shape[2], gout.shape[3]
    j.cg, j.coutg, j.per_task = cg, gout.shape[1] // groups, per_task
    j.tasks, j.runs = (j.N + per_task - 1) // per_task * groups, gwt.shape[0]
    with nogil:
        _run_parts(&j.next, <int>xbuf.shape[0], _wgrad_part_d, &j)


def _direct_scatter(const floating[:, :, :, ::1] gout, const floating[:, :, :, ::1] wt, Py_ssize_t groups,
                    Py_ssize_t ph, Py_ssize_t pw, _DirectPlan plan, Py_ssize_t[::1] off,
                    floating[:, :, :, ::1] gx, floating[:, ::1] abuf, floating[:, ::1] gbuf):
    """gx = input gradient, one (image, group) per task; abuf/gbuf rows are per part."""
    cdef _DirectJob j
    _plan_job(&j, plan, off, groups, ph, pw, wt.shape[1])
    j.single = floating is float
    j.gout, j.w, j.dst = &gout[0, 0, 0, 0], &wt[0, 0, 0, 0], &gx[0, 0, 0, 0]
    j.buf_a, j.buf_b, j.a_len, j.b_len = &abuf[0, 0], &gbuf[0, 0], abuf.shape[1], gbuf.shape[1]
    j.N, j.src_c, j.H, j.W = gx.shape[0], gx.shape[1], gx.shape[2], gx.shape[3]
    j.gout_c, j.ho, j.wo = gout.shape[1], gout.shape[2], gout.shape[3]
    j.cg, j.coutg = gx.shape[1] // groups, gout.shape[1] // groups
    j.tasks = j.N * groups
    with nogil:
        _run_parts(&j.next, <int>abuf.shape[0], _scatter_part_d, &j)


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

