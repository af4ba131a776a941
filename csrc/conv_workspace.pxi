# The per-thread im2col workspace, kept between calls. Included by conv.pyx.

_scratch = threading.local()   # per thread: kernels run without the GIL, so threads must not share it
cdef Py_ssize_t KEEP_BYTES = 160 << 20  # larger workspaces are not kept between calls


def _workspaces(_Geometry G, dtype):
    """col (K, chunk*P) and tmp (coutg, chunk*P), carved from one buffer kept between calls:
    fresh buffers of tens of MB page-faulted on every call (4% of a ResNet layer's time)."""
    cols = G.chunk * G.P
    need = (G.K + G.coutg) * cols
    dtype = np.dtype(dtype)
    kept = getattr(_scratch, "buffers", None)
    if kept is None:
        kept = _scratch.buffers = {}
    buf = kept.get(dtype)
    if buf is None or buf.size < need:
        buf = np.empty(need, dtype)
        if need * dtype.itemsize <= KEEP_BYTES:
            kept[dtype] = buf
    return buf[:G.K * cols].reshape(G.K, cols), buf[G.K * cols:need].reshape(G.coutg, cols)


