# conv_transpose2d forward for 3x3 kernels, stride 2, padding 1, output rows up to 16 wide, float32, on the
# AVX-512 build: csrc/convtranspose2x.h writes each output row once from registers, instead of the general
# path's column buffer and col2im (N=64 8->16 7x7: 1.8 MB of columns). Included by conv.pyx.

cdef extern from "convtranspose2x.h" nogil:
    int FASTNN_CONVT3S2_MAX_WO
    int fastnn_convt3s2_pays()
    void fastnn_convt3s2_image_f32(Py_ssize_t Cin, Py_ssize_t Cout, Py_ssize_t H, Py_ssize_t W, Py_ssize_t Ho,
                                   Py_ssize_t Wo, const float *x, const float *w, const float *bias, float *out,
                                   void *rows)

# Multiply-adds (of the 2.25 per output element and input channel) a thread must have before a second
# joins: images are independent, and one image of the autoencoder's decoder layer is ~1.5 us.
cdef Py_ssize_t CONVT3S2_MIN_WORK = 1 << 19

_convt_general = False   # tests: True keeps every conv_transpose2d forward on the general path


def _convt3s2_applies(x, weight, st, pd, dl, op, Py_ssize_t groups):
    """Whether conv_transpose2d_forward takes the direct stride-2 3x3 kernel (arguments already checked)."""
    if _convt_general or not fastnn_convt3s2_pays() or not is_single(x) or groups != 1:
        return False
    if weight.shape[2] != 3 or weight.shape[3] != 3 or tuple(st) != (2, 2) or tuple(pd) != (1, 1) \
            or tuple(dl) != (1, 1) or op[0] > 1 or op[1] > 1:
        return False
    return 0 < 2 * x.shape[3] - 1 + op[1] <= FASTNN_CONVT3S2_MAX_WO and x.size > 0 and weight.shape[1] > 0


cdef object _convt3s2_forward(x, weight, bias, Py_ssize_t Ho, Py_ssize_t Wo):
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
        for n in prange(N, num_threads=nt, schedule="static"):
            fastnn_convt3s2_image_f32(Cin, Cout, H, W, Ho, Wo, xp + n * Cin * H * W, wp, bp, op + n * Cout * Ho * Wo,
                                      base + threadid() * per)
    return out
