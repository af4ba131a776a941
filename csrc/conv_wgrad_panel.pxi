# The im2col weight gradient in blocks of images on the panel micro-kernel (panelgemm.h): for
# each block, im2col of its images (K rows, cols = images * P, kept in L2) times grad_out's
# transpose (cols x cout_padded, the kernel's panel) is added into the part's gw^T (K,
# cout_padded). The whole-batch im2col matrix (8 MB on LeNet's second layer) went through L3
# and was packed again by BLAS: there, im2col, its packing and the product were 26%, 13% and 24%
# of the pass. Blocks are claimed one at a time on gemmpool.h's threads. Ungrouped layers only.
# Included by conv.pyx.

# im2col block per part, in bytes: chosen by size to sit in L2 beside the panel.
cdef Py_ssize_t WGRAD_BLOCK_BYTES = 256 << 10


ctypedef struct _PanelWgradJob:
    bint single
    const void* x       # (N, C, H, W)
    const void* gout    # (N, cout, P)
    void* gwt           # (parts, K, cout_padded)
    void* col           # per part: K rows of ldb values
    void* gt            # per part: ldb rows of cout_padded values, zero past cout
    Py_ssize_t col_len, gt_len
    Py_ssize_t N, C, H, W, cout, K, P, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cout_padded, panel_width
    Py_ssize_t images, ldb, tasks, runs, next


cdef void _panel_wgrad_tasks(_PanelWgradJob* j, int part, floating* kind) noexcept nogil:
    """gwt[r] += im2col(block) @ grad_out(block)^T for the blocks of each run r this part claims (_claim_run:
    one run per part's row of gwt)."""
    cdef Py_ssize_t task, run, first, end
    cdef floating* col = <floating*>j.col + part * j.col_len
    cdef floating* gt = <floating*>j.gt + part * j.gt_len
    cdef floating* gwt
    while True:
        run = _claim_run(&j.next, j.runs, j.tasks, &first, &end)
        if run < 0:
            return
        gwt = <floating*>j.gwt + run * j.K * j.cout_padded
        for task in range(first, end):
            _panel_wgrad_block(j, task, col, gt, gwt)


cdef void _panel_wgrad_block(_PanelWgradJob* j, Py_ssize_t task, floating* col, floating* gt,
                             floating* gwt) noexcept nogil:
    """gwt += im2col(block task) @ grad_out(block task)^T, through the part's col and gt."""
    cdef Py_ssize_t n0, nimg, b, k, c, i, t, co, p, q, cols, K = j.K, P = j.P, cp = j.cout_padded, ldb = j.ldb
    cdef const floating* x
    cdef const floating* g
    n0 = task * j.images
    nimg = min(j.images, j.N - n0)
    cols = nimg * P
    for b in range(nimg):
        x = <const floating*>j.x + (n0 + b) * j.C * j.H * j.W
        k = 0
        for c in range(j.C):
            for i in range(j.kh):
                for t in range(j.kw):   # row k = (c, i, t) of im2col
                    _im2col_row(x + c * j.H * j.W, j.H, j.W, i, t, j.sh, j.sw, j.ph, j.pw, j.dh, j.dw, j.ho, j.wo,
                                col + k * ldb + b * P)
                    k += 1
        g = <const floating*>j.gout + (n0 + b) * j.cout * P
        for co in range(j.cout):
            for p in range(P):
                gt[(b * P + p) * cp + co] = g[co * P + p]
    for q in range(cp // j.panel_width):
        panel_gemm(K, cols, col, ldb, gt + q * j.panel_width, cp, True, gwt + q * j.panel_width, cp,
                   j.panel_width)


cdef void _panel_wgrad_part(void* ctx, int part) noexcept nogil:
    if (<_PanelWgradJob*>ctx).single:
        _panel_wgrad_tasks(<_PanelWgradJob*>ctx, part, <float*>NULL)
    else:
        _panel_wgrad_tasks(<_PanelWgradJob*>ctx, part, <double*>NULL)


def _panel_wgrad(const floating[:, :, :, ::1] x, const floating[:, :, ::1] gout, _Geometry G, Py_ssize_t images,
                 Py_ssize_t panel_width, floating[:, :, ::1] gwt, floating[:, ::1] col, floating[:, ::1] gt):
    cdef _PanelWgradJob j
    j.single = floating is float
    j.x, j.gout, j.gwt, j.col, j.gt = &x[0, 0, 0, 0], &gout[0, 0, 0], &gwt[0, 0, 0], &col[0, 0], &gt[0, 0]
    j.col_len, j.gt_len = col.shape[1], gt.shape[1]
    j.N, j.C, j.H, j.W, j.cout, j.K, j.P = G.N, G.C, G.H, G.W, G.cout, G.K, G.P
    j.kh, j.kw, j.sh, j.sw, j.ph, j.pw, j.dh, j.dw, j.ho, j.wo = G.kh, G.kw, G.sh, G.sw, G.ph, G.pw, G.dh, G.dw, G.ho, G.wo
    j.cout_padded, j.panel_width, j.images, j.ldb = gwt.shape[2], panel_width, images, images * G.P
    j.tasks, j.runs = (G.N + images - 1) // images, gwt.shape[0]
    with nogil:
        _run_parts(&j.next, <int>col.shape[0], _panel_wgrad_part, &j)


def _run_panel_wgrad(x, gout, _Geometry G):
    """The weight gradient (cout, K) of an ungrouped conv with N, P, K and cout all positive."""
    cdef Py_ssize_t images = max(1, min(G.N, WGRAD_BLOCK_BYTES // (G.K * G.P * x.itemsize)))
    cdef Py_ssize_t tasks = (G.N + images - 1) // images
    cdef int nt = max(1, min(threads_for(G.N * G.P * G.K * G.cout, MIN_WORK), tasks))
    cp = _cout_rounded(G.cout)
    gwt = np.zeros((nt, G.K, cp), x.dtype)
    col = np.empty((nt, G.K * images * G.P), x.dtype)
    gt = np.zeros((nt, images * G.P * cp), x.dtype)   # the columns past cout stay zero
    _panel_wgrad(x, gout, G, images, _panel_width(x.dtype), gwt, col, gt)
    return np.ascontiguousarray(gwt.sum(axis=0)[:, :G.cout].T)


