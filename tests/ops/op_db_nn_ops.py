"""Op table rows: the nn ops PyTorch also exposes as torch.* (convolution, pooling, normalisation,
bilinear, distances, pixel and channel shuffles, dropout out of training) and the sparse constructors."""
import numpy as np

from .opinfo import OpRow, S


def _conv_samples(nd):
    """Inputs (N, C, *spatial) for an nd convolution: plain, bias, stride/padding/dilation, groups, 'same'
    (3-d ones small: its finite differences run the NumPy path once per input element)."""
    sp, k = ((6, 5, 4)[:nd], (3, 2, 2)[:nd]) if nd < 3 else ((4, 3, 3), (2, 2, 2))

    def make(t):
        x, w = t((2 if nd < 3 else 1, 4) + sp), t((3, 4) + k)
        return [S(x, w), S(x, w, t((3,))), S(x, w, t((3,)), 2, 1), S(x, w, None, 1, 1, 2),
                S(x, t((6, 2) + k), t((6,)), groups=2), S(x, w, padding="same"),
                S(t((2, 4) + sp, strided=True), w, note="strided")]
    return make


def _conv_errors(nd):
    sp, k = (6, 5, 4)[:nd], (3, 2, 2)[:nd]
    return lambda t: [S(t((2, 4) + sp), t((3, 5) + k)), S(t((2, 4) + sp), t((3, 4) + k), None, 0)]


def _convt_samples(nd):
    sp, k = (4, 3, 3)[:nd], (3, 2, 2)[:nd]

    def make(t):
        x, w = t((2, 4) + sp), t((4, 3) + k)
        return [S(x, w), S(x, w, t((3,))), S(x, w, t((3,)), 2, 1, 1), S(x, t((4, 2) + k), t((4,)), 1, 0, 0, 2),
                S(x, w, None, 1, 0, 0, 1, 2)]
    return make


def _pool_samples(nd):
    sp = (8, 6, 4)[:nd] if nd < 3 else (5, 4, 4)
    return lambda t: [S(t((2, 3) + sp, distinct=True), 2), S(t((2, 3) + sp, distinct=True), 3, 2, 1),
                      S(t((2, 3) + sp, distinct=True), 2, 1, 0, 2), S(t((2, 3) + sp, distinct=True), 3, 2, 0, 1, True),
                      S(t((3,) + sp, distinct=True), 2, note="unbatched")]


ROWS = []
for _nd in (1, 2, 3):
    ROWS += [OpRow(f"conv{_nd}d", _conv_samples(_nd), errors=_conv_errors(_nd), rtol=1e-4, atol=1e-4),
             OpRow(f"conv_transpose{_nd}d", _convt_samples(_nd), rtol=1e-4, atol=1e-4,
                   errors=lambda t: [S(t((2, 4, 3)), t((5, 3, 2)))]),
             OpRow(f"max_pool{_nd}d", _pool_samples(_nd), errors=lambda t: [S(t((2, 3, 4)), 0)])]

ROWS += [
    OpRow("avg_pool1d", lambda t: [S(t((2, 3, 8)), 2), S(t((2, 3, 8)), 3, 2, 1), S(t((2, 3, 8)), 3, 2, 1, True, False),
                                   S(t((3, 7)), 2, ceil_mode=True)],
          errors=lambda t: [S(t((2, 3, 4)), 0)]),
    OpRow("layer_norm", lambda t: [S(t((3, 4)), (4,)), S(t((2, 3, 4)), [3, 4], t((3, 4)), t((3, 4))),
                                   S(t((2, 5)), (5,), t((5,)), None, 1e-3), S(t((2, 4), strided=True), (4,))],
          errors=lambda t: [S(t((3, 4)), (3,))]),
    OpRow("group_norm", lambda t: [S(t((2, 4, 3)), 2), S(t((2, 6, 2, 2)), 3, t((6,)), t((6,))),
                                   S(t((2, 4)), 4, None, None, 1e-3)],
          errors=lambda t: [S(t((2, 5, 3)), 2)]),
    OpRow("bilinear", lambda t: [S(t((3, 4)), t((3, 5)), t((2, 4, 5))), S(t((3, 4)), t((3, 5)), t((2, 4, 5)), t((2,))),
                                 S(t((2, 3, 4)), t((2, 3, 5)), t((2, 4, 5)), t((2,)))],
          errors=lambda t: [S(t((3, 4)), t((3, 5)), t((2, 5, 4)))]),
    OpRow("cosine_similarity", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)), 0),
                                          S(t((2, 3, 4)), t((3, 4)), -1),
                                          S(t((3, 4)), t((3, 4)), dim=1, eps=1e-3)]),
    OpRow("pairwise_distance", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)), 1.0),
                                          S(t((3, 4)), t((3, 4)), 3.0, 1e-6, True)]),
    OpRow("pixel_shuffle", lambda t: [S(t((1, 8, 2, 3)), 2), S(t((2, 9, 2, 2)), 3), S(t((4, 1, 1)), 2)],
          errors=lambda t: [S(t((1, 6, 2, 3)), 2)]),
    OpRow("pixel_unshuffle", lambda t: [S(t((1, 2, 4, 6)), 2), S(t((2, 1, 3, 6)), 3)],
          errors=lambda t: [S(t((1, 2, 3, 6)), 2)]),
    OpRow("channel_shuffle", lambda t: [S(t((1, 6, 2, 2)), 3), S(t((2, 4, 3)), 2)], gradcheck=False),
    OpRow("nuclear_norm", lambda t: [S(t((3, 4))), S(t((3, 4)), True)], grad=False, rtol=1e-4),
    OpRow("rrelu", lambda t: [S(t((3, 4))), S(t((3, 4)), 0.1, 0.3), S(t((3, 4)), 0.1, 0.3, False)],
          note="out of training"),
    OpRow("dropout", lambda t: [S(t((3, 4)), 0.5, False), S(t((3, 4)), p=0.2, train=False), S(t((3, 4)), 0.0, True)],
          note="no-op forms"),
    OpRow("alpha_dropout", lambda t: [S(t((3, 4)), 0.5, False), S(t((3, 4)), p=0.2, train=False)], note="no-op forms"),
    OpRow("feature_alpha_dropout", lambda t: [S(t((2, 3, 4)), 0.5, False), S(t((2, 3, 4)), p=0.2, train=False)],
          note="no-op forms"),
]


# ------------------------------------------------------------ sparse constructors and products
# (no finite differences through to_sparse: a step off zero changes the sparsity pattern, and the
# gradient, as PyTorch's, is masked to the stored entries)
def _coo(t):
    return np.array([[0, 1, 1, 2], [2, 0, 3, 1]]), t((4,))


def _csr(t):
    return np.array([0, 1, 3, 4]), np.array([2, 0, 3, 1]), t((4,))


ROWS += [
    OpRow("sparse_coo_tensor", lambda t: [S(*_coo(t), (3, 4)), S(*_coo(t)),
                                          S(np.array([[0, 0], [1, 1]]), t((2,)), (2, 2))],
          op=lambda lib, i, v, *size: lib.sparse_coo_tensor(i, v, *size).to_dense(), note="to_dense",
          errors=lambda t: [S(np.array([[0, 1, 2]]), t((2,)), (3,))]),
    OpRow("sparse_csr_tensor", lambda t: [S(*_csr(t), (3, 4)), S(*_csr(t))], grad=False,
          op=lambda lib, c, i, v, *size: lib.sparse_csr_tensor(c, i, v, *size).to_dense(), note="to_dense"),
    OpRow("spmm", lambda t: [S(t((3, 4)) * t.mask((3, 4)), t((4, 2)))], gradcheck=False,
          op=lambda lib, a, b: lib.spmm(a.detach().to_sparse(), b)),
    OpRow("to_sparse", lambda t: [S(t((3, 4)) * t.mask((3, 4))), S(t((3, 4)) * t.mask((3, 4)), 2),
                                  S(t((2, 3, 2)) * t.mask((2, 3, 2)))],
          op=lambda lib, a, *d: a.to_sparse(*d).to_dense(), note="round trip", gradcheck=False),
    OpRow("to_sparse", lambda t: [S(t((3, 4)) * t.mask((3, 4)))], grad=False, note="layout",
          op=lambda lib, a: (a.to_sparse(layout=lib.sparse_csr).to_dense(), a.to_sparse(layout=lib.strided))),
    OpRow("to_sparse_csr", lambda t: [S(t((3, 4)) * t.mask((3, 4)))], grad=False,
          op=lambda lib, a: a.to_sparse_csr().to_dense(), note="round trip"),
    OpRow("to_dense", lambda t: [S(t((3, 4)) * t.mask((3, 4))), S(t((3, 4)))],
          op=lambda lib, a: (a.to_dense(), a.to_sparse().to_dense(), a.to_sparse().is_sparse), gradcheck=False),
]
