# conv_transpose2d for 3x3 kernels, stride 2, padding 1, output rows up to 16 wide, float32, on the AVX-512
# build: csrc/convtranspose2x.h writes each output row (and each input-gradient row) once from registers, and
# sums each weight gradient over the spread output gradient, instead of the general path's column buffers,
# col2im and im2col (N=64 8->16 7x7: 1.8 MB of columns each way). Included by conv.pyx.

cdef extern from "convtranspose2x.h" nogil:
    int FASTNN_CONVT3S2_MAX_WO
    int fastnn_convt3s2_pays()
    void fastnn_convt3s2_image_f32(Py_ssize_t Cin, Py_ssize_t Cout, Py_ssize_t H, Py_ssize_t W, Py_ssize_t Ho,
                                   Py_ssize_t Wo, const float *x, const float *w, const float *bias, float *out,
                                   void *rows)
    void fastnn_convt3s2_spread_f32(Py_ssize_t Co, Py_ssize_t Ho, Py_ssize_t Wo, const float *g, void *spread,
                                    float *sums)
    void fastnn_convt3s2_input_grad_f32(Py_ssize_t Ci, Py_ssize_t Co, Py_ssize_t H, Py_ssize_t W, Py_ssize_t Ho,
                                        Py_ssize_t Wo, const void *spread, const float *w, float *gx)
    void fastnn_convt3s2_weight_grad_f32(Py_ssize_t N, Py_ssize_t Ci, Py_ssize_t Co, Py_ssize_t H, Py_ssize_t W,
                                         Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t co, const float *x,
                                         const void *spread, float *gw)

# Multiply-adds (of the 2.25 per output element and input channel) a thread must have before a second
# joins: images are independent, and one image of the autoencoder's decoder layer is ~1.5 us.
cdef Py_ssize_t CONVT3S2_MIN_WORK = 1 << 19

# The backward spreads the whole output gradient (96 bytes a row, 1.4 MB for N=64 16x14x14) for the weight
# gradient's pass over all images; past this the general path's chunked columns take over.
cdef Py_ssize_t CONVT3S2_MAX_SPREAD_BYTES = 64 << 20

_convt_general = False   # tests: True keeps conv_transpose2d (forward and backward) on the general path


def _convt3s2_applies(x, weight, st, pd, dl, op, Py_ssize_t groups):
    """Whether conv_transpose2d_forward takes the direct stride-2 3x3 kernel (arguments already checked)."""
    if _convt_general or not fastnn_convt3s2_pays() or not is_single(x) or groups != 1:
        return False
    if weight.shape[2] != 3 or weight.shape[3] != 3 or tuple(st) != (2, 2) or tuple(pd) != (1, 1) \
            or tuple(dl) != (1, 1) or op[0] > 1 or op[1] > 1:
        return False
    return 0 < 2 * x.shape[3] - 1 + op[1] <= FASTNN_CONVT3S2_MAX_WO and x.size > 0 and weight.shape[1] > 0


cdef object _convt3s2_forward(x, weight, bias, Py_ssize_t Ho, Py_ssize_t Wo):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = x.shape[0], Cin = x.shape[1], H = x.shape[2], W = x.shape[3], Cout = weight.shape[1], n
    out = np.empty((N, Cout, Ho, Wo), np.float32)
    cdef int nt = threads_for(N * Cout * Ho * Wo * Cin * 9 // 4, CONVT3S2_MIN_WORK)
    # each thread's spread input rows (2 vectors of 64 bytes per input row), on a 64-byte line
    cdef Py_ssize_t per = 2 * Cin * H * 64
    scratch = np.empty(nt * per + 64, np.uint8)
    cdef unsigned char *base = <unsigned char *>data_of(scratch)
    base += (64 - <size_t>base % 64) % 64
    cdef const float *xp = <const float *>data_of(x)
    cdef const float *wp = <const float *>data_of(weight)
    cdef const float *bp = NULL if bias is None else <const float *>data_of(bias)
    cdef float *op = <float *>data_of(out)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for n in prange(N, num_threads=nt, schedule="static"):
            fastnn_convt3s2_image_f32(Cin, Cout, H, W, Ho, Wo, xp + n * Cin * H * W, wp, bp, op + n * Cout * Ho * Wo,
                                      base + threadid() * per)
        fastnn_team_end(&_team)
    return out


def _convt3s2_backward_applies(x, weight, grad_out, st, pd, dl, op, Py_ssize_t groups):
    """Whether conv_transpose2d_backward takes the direct kernels (arguments already checked)."""
    return (_convt3s2_applies(x, weight, st, pd, dl, op, groups)
            and x.shape[0] * weight.shape[1] * grad_out.shape[2] * 96 <= CONVT3S2_MAX_SPREAD_BYTES)


cdef tuple _convt3s2_backward(x, weight, grad_out, bint need_input, bint need_weight, bint need_bias):
    cdef Py_ssize_t N = x.shape[0], Ci = x.shape[1], H = x.shape[2], W = x.shape[3], Co = weight.shape[1]
    cdef Py_ssize_t Ho = grad_out.shape[2], Wo = grad_out.shape[3]
    cdef unsigned char *base
    gx = np.empty(x.shape, np.float32) if need_input else None
    gw = np.empty(weight.shape, np.float32) if need_weight else None
    # each image's gradient rows spread by the input column that reads them (3 vectors of 32 bytes a row), and
    # each image's share of the bias gradient (summed over the images in order below: the same bits on any
    # number of threads)
    spread = np.empty(N * Co * Ho * 96 + 64, np.uint8)
    sums = np.empty((N, Co), np.float32)
    base = <unsigned char *>data_of(spread)
    base += (64 - <size_t>base % 64) % 64
    _convt3s2_backward_passes(x, weight, grad_out, gx, gw, base, <float *>data_of(sums), N, Ci, H, W, Co, Ho, Wo)
    gb = sums.sum(axis=0) if need_bias else None
    return gx, gw, gb


cdef void _convt3s2_backward_passes(x, weight, grad_out, gx, gw, unsigned char *spread, float *sums, Py_ssize_t N,
                                    Py_ssize_t Ci, Py_ssize_t H, Py_ssize_t W, Py_ssize_t Co, Py_ssize_t Ho,
                                    Py_ssize_t Wo):
    cdef fastnn_team_steer _team
    cdef const float *xp = <const float *>data_of(x)
    cdef const float *wp = <const float *>data_of(weight)
    cdef const float *gp = <const float *>data_of(grad_out)
    cdef float *gxp = NULL if gx is None else <float *>data_of(gx)
    cdef float *gwp = NULL if gw is None else <float *>data_of(gw)
    cdef Py_ssize_t per = Co * Ho * 96, n, co
    cdef int nt = threads_for(N * Co * H * W * Ci * 9, CONVT3S2_MIN_WORK)
    # one parallel region, two loops (the second starts when every image of the first is done)
    fastnn_team_begin(&_team, nt)
    with nogil, parallel(num_threads=nt):
        # image by image: spread the output gradient, then (if asked) the input gradient from it
        for n in prange(N, schedule="static"):
            fastnn_convt3s2_spread_f32(Co, Ho, Wo, gp + n * Co * Ho * Wo, spread + n * per, sums + n * Co)
            if gxp != NULL:
                fastnn_convt3s2_input_grad_f32(Ci, Co, H, W, Ho, Wo, spread + n * per, wp, gxp + n * Ci * H * W)
        # output channel by output channel: each weight gradient one sum over every image
        if gwp != NULL:
            for co in prange(Co, schedule="static"):
                fastnn_convt3s2_weight_grad_f32(N, Ci, Co, H, W, Ho, Wo, co, xp, spread, gwp)
    fastnn_team_end(&_team)
