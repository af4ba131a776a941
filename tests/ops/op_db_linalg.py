"""Op table rows: linear algebra with gradients (decompositions, solves, LU, pinv, lstsq, matrix_exp, det).

Decompositions whose factors carry a gauge are compared through gauge-invariant outputs, as PyTorch's
documentation asks: singular values and eigenvalues, |U| and |V| (a sign flip of a singular or eigen vector
leaves them unchanged), and reconstructions. Positive-definite and symmetric inputs are made inside the op
(a a^T + n I, a + a^T), so the gradient reaches an unconstrained matrix and finite differences apply.
"""
import numpy as np

from .opinfo import OpRow, S


def _lin(fn):
    return lambda lib, *a, **k: getattr(lib.linalg, fn)(*a, **k)


def _spd(lib, a):
    n = a.shape[-1]
    return a @ a.mT + n * lib.eye(n, dtype=a.dtype)


def _sym(lib, a):
    return a + a.mT


def _tri(t, upper, shape=(3, 3)):
    a = t(shape) + 3 * np.eye(shape[-1], dtype=t.dtype)
    return np.triu(a) if upper else np.tril(a)


def _singular(t, n=3):
    """A matrix of rank n - 1 (its last column repeats the first)."""
    a = t((n, n))
    a[:, -1] = a[:, 0]
    return a


def _svd_op(lib, a, **kw):
    U, S_, Vh = lib.linalg.svd(a, **kw)
    k = S_.shape[-1]
    U, Vh = U[..., :, :k], Vh[..., :k, :]
    return U.abs(), S_, Vh.abs(), (U * S_.unsqueeze(-2) ** 2) @ Vh


def _svd_old_op(lib, a, *args):
    U, S_, V = lib.svd(a, *args)
    k = S_.shape[-1]
    return U[..., :, :k].abs(), S_, V[..., :, :k].abs()


def _eigh_op(lib, a, **kw):
    w, V = lib.linalg.eigh(_sym(lib, a), **kw)
    return w, V.abs(), (V * w.unsqueeze(-2).exp()) @ V.mT


def _lu_solve_op(lib, a, b, **kw):
    LU, piv = lib.linalg.lu_factor(a)
    return lib.linalg.lu_solve(LU, piv, b, **kw)


def _spd_np(t, n=3):
    a = t((n, n))
    return a @ a.T + n * np.eye(n, dtype=a.dtype)


ROWS = [
    # ------------------------------------------------------------ cholesky
    OpRow("linalg.cholesky", lambda t: [S(t((3, 3))), S(t((2, 3, 3)), note="batched"), S(t((3, 3)), upper=True)],
          op=lambda lib, a, **k: lib.linalg.cholesky(_spd(lib, a), **k)),
    # on the matrix itself PyTorch's gradient is symmetrised, finite differences see one triangle
    OpRow("linalg.cholesky", lambda t: [S(_spd_np(t)), S(_spd_np(t), upper=True)], op=_lin("cholesky"), note="direct",
          gradcheck=False,
          errors=lambda t: [S(-np.eye(3, dtype=t.dtype)), S(t((2, 3)))]),
    OpRow("cholesky", lambda t: [S(t((3, 3))), S(t((3, 3)), True)],
          op=lambda lib, a, *u: lib.cholesky(_spd(lib, a), *u)),
    OpRow("linalg.cholesky_ex", lambda t: [S(t((2, 3, 3)))],
          op=lambda lib, a: lib.linalg.cholesky_ex(_spd(lib, a))),
    OpRow("linalg.cholesky_ex", lambda t: [S(np.stack([_spd_np(t), -np.eye(3, dtype=t.dtype)]))], grad=False,
          op=lambda lib, a: lib.linalg.cholesky_ex(a).info, note="info"),
    OpRow("cholesky_inverse", lambda t: [S(np.linalg.cholesky(_spd_np(t))),
                                         S(np.ascontiguousarray(np.linalg.cholesky(_spd_np(t)).T), True),
                                         S(np.linalg.cholesky(np.stack([_spd_np(t), _spd_np(t)])))]),
    OpRow("cholesky_solve", lambda t: [S(t((3, 2)), np.linalg.cholesky(_spd_np(t))),
                                       S(t((2, 3, 2)), np.ascontiguousarray(np.linalg.cholesky(_spd_np(t)).T), True)]),
    # ------------------------------------------------------------ eigh
    OpRow("linalg.eigh", lambda t: [S(t((3, 3))), S(t((2, 4, 4)), note="batched"), S(t((3, 3)), UPLO="U")],
          op=_eigh_op),
    OpRow("linalg.eigh", lambda t: [S(t((3, 3))), S(t((3, 3)), UPLO="U")], grad=False, note="reads one triangle",
          op=lambda lib, a, **k: lib.linalg.eigh(a, **k).eigenvalues, errors=lambda t: [S(t((3, 3)), UPLO="X")]),
    OpRow("linalg.eigvalsh", lambda t: [S(t((3, 3))), S(t((2, 3, 3)), UPLO="U")],
          op=lambda lib, a, **k: lib.linalg.eigvalsh(_sym(lib, a), **k)),
    # ------------------------------------------------------------ svd
    OpRow("linalg.svd", lambda t: [S(t((4, 3)), full_matrices=False), S(t((3, 5)), full_matrices=False),
                                   S(t((2, 3, 3)), full_matrices=False), S(t((4, 3)), note="full_matrices")],
          op=_svd_op, rtol=1e-3),
    OpRow("svd", lambda t: [S(t((4, 3))), S(t((3, 4))), S(t((4, 3)), False)], op=_svd_old_op, rtol=1e-3),
    OpRow("svd", lambda t: [S(t((4, 3)), True, False)], op=lambda lib, a, *k: lib.svd(a, *k), note="compute_uv",
          rtol=1e-3),
    OpRow("linalg.svdvals", lambda t: [S(t((4, 3))), S(t((2, 3, 5)))], op=_lin("svdvals"), rtol=1e-3),
    OpRow("linalg.matrix_norm", lambda t: [S(t((3, 4)), "nuc"), S(t((2, 3, 3)), 2), S(t((3, 4)), -2),
                                           S(t((4, 3)), "nuc", keepdim=True)], op=_lin("matrix_norm"),
          note="through svd", rtol=1e-3),
    OpRow("nuclear_norm", lambda t: [S(t((3, 4)))], op=lambda lib, a: lib.nuclear_norm(a), rtol=1e-3),
    OpRow("norm", lambda t: [S(t((3, 4)), "nuc"), S(t((2, 3, 4)), "nuc", (1, 2))], rtol=1e-3, note="nuclear"),
    OpRow("linalg.norm", lambda t: [S(t((3, 4)), "nuc"), S(t((3, 4)), 2), S(t((2, 3, 4)), -2, (1, 2))],
          op=_lin("norm"), rtol=1e-3, note="through svd"),
    OpRow("linalg.cond", lambda t: [S(_spd_np(t)), S(_spd_np(t), "fro"), S(_spd_np(t), 1), S(t((3, 4)), -2)],
          op=_lin("cond"), rtol=1e-3),
    # ------------------------------------------------------------ qr
    OpRow("linalg.qr", lambda t: [S(t((4, 3))), S(t((3, 5))), S(t((3, 3)), "complete"), S(t((2, 4, 3)))],
          op=_lin("qr"), rtol=1e-3),
    OpRow("linalg.qr", lambda t: [S(t((4, 3)), "r"), S(t((4, 3)), "complete")], op=_lin("qr"), grad=False,
          note="mode r, complete tall", rtol=1e-3, errors=lambda t: [S(t((3, 3)), "full")]),
    OpRow("qr", lambda t: [S(t((4, 3))), S(t((3, 3)), False)], op=lambda lib, *a: lib.qr(*a), rtol=1e-3),
    # ------------------------------------------------------------ LU
    OpRow("linalg.lu", lambda t: [S(t((3, 3))), S(t((4, 3))), S(t((3, 5))), S(t((2, 3, 3)))], op=_lin("lu"),
          rtol=1e-3, errors=lambda t: [S(t((3, 3)), pivot=False), S(np.ones((3, 3), np.int64))]),
    OpRow("linalg.lu_factor", lambda t: [S(t((3, 3))), S(t((4, 3))), S(t((3, 5))), S(t((2, 3, 3)))],
          op=_lin("lu_factor"), rtol=1e-3, errors=lambda t: [S(np.zeros((3, 3), t.dtype))]),
    OpRow("linalg.lu_factor_ex", lambda t: [S(t((3, 3)))], op=_lin("lu_factor_ex"), rtol=1e-3),
    OpRow("linalg.lu_factor_ex", lambda t: [S(np.zeros((2, 3, 3), t.dtype))], grad=False,
          op=_lin("lu_factor_ex"), rtol=1e-3, note="singular"),
    OpRow("lu", lambda t: [S(t((3, 3))), S(t((2, 4, 4)), get_infos=True)], op=lambda lib, *a, **k: lib.lu(*a, **k),
          rtol=1e-3),
    OpRow("lu_unpack", lambda t: [S(t((3, 3))), S(t((4, 3))), S(t((3, 4)))],
          op=lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a)), rtol=1e-3),
    OpRow("lu_unpack", lambda t: [S(t((3, 3)), False), S(t((3, 3)), True, False)], grad=False, note="partial",
          op=lambda lib, a, *f: lib.lu_unpack(*lib.linalg.lu_factor(a), *f)),
    OpRow("linalg.lu_solve", lambda t: [S(t((3, 3)), t((3, 2))), S(t((3, 3)), t((3, 2)), adjoint=True),
                                        S(t((3, 3)), t((2, 3)), left=False),
                                        S(t((2, 3, 3)), t((2, 3, 1)), left=False, adjoint=True)],
          op=_lu_solve_op, rtol=1e-3, errors=lambda t: [S(t((3, 3)), t((3, 2)).astype(np.float64))]),
    OpRow("lu_solve", lambda t: [S(t((3, 3)), t((3, 2)))],
          op=lambda lib, a, b: lib.lu_solve(b, *lib.linalg.lu_factor(a)), rtol=1e-3),
    # ------------------------------------------------------------ solves
    OpRow("linalg.solve", lambda t: [S(_spd_np(t), t((3,))), S(_spd_np(t), t((3, 2))),
                                     S(np.stack([_spd_np(t), _spd_np(t)]), t((3, 2)), note="broadcast B"),
                                     S(_spd_np(t), t((2, 3)), left=False)], op=_lin("solve"),
          errors=lambda t: [S(np.zeros((3, 3), t.dtype), t((3,))), S(_spd_np(t), t((4,)))]),
    OpRow("linalg.solve_ex", lambda t: [S(_spd_np(t), t((3,)))], op=_lin("solve_ex")),
    OpRow("linalg.solve_ex", lambda t: [S(np.zeros((2, 2), t.dtype), t((2,)))], grad=False, note="singular",
          op=lambda lib, *a: lib.linalg.solve_ex(*a).info),
    OpRow("linalg.inv_ex", lambda t: [S(np.zeros((2, 3, 3), t.dtype))], grad=False, note="singular",
          op=lambda lib, *a: lib.linalg.inv_ex(*a).info),
    OpRow("linalg.solve_triangular", lambda t: [S(_tri(t, True), t((3, 2)), upper=True),
                                                S(_tri(t, False), t((3, 2)), upper=False, unitriangular=True),
                                                S(_tri(t, True), t((2, 3)), upper=True, left=False),
                                                S(_tri(t, False, (2, 3, 3)), t((3, 2)), upper=False,
                                                  note="broadcast B")],
          op=_lin("solve_triangular"), errors=lambda t: [S(_tri(t, True), t((4, 2)), upper=True)]),
    OpRow("linalg.solve_triangular", lambda t: [S(_tri(t, True), t((3, 2)).astype(np.float64), upper=True)],
          op=_lin("solve_triangular"), dtypes=("float32",), grad=False, note="B cast to A's dtype"),
    OpRow("triangular_solve", lambda t: [S(t((3, 2)), _tri(t, True)), S(t((3, 2)), _tri(t, False), False, True),
                                         S(t((3, 2)), _tri(t, True), True, False, True)]),
    OpRow("linalg.lstsq", lambda t: [S(t((5, 3)), t((5, 2))), S(t((2, 5, 3)), t((2, 5, 2))), S(t((3, 5)), t((3, 2)))],
          op=_lin("lstsq"), rtol=1e-3, atol=1e-4),
    OpRow("linalg.lstsq", lambda t: [S(t((5, 3)), t((5, 2)), driver=d) for d in ("gels", "gelsd", "gelss")],
          op=lambda lib, *a, **k: lib.linalg.lstsq(*a, **k)[:3], rtol=1e-3, atol=1e-4, note="drivers",
          errors=lambda t: [S(t((5, 3)), t((5, 2)), driver="bad")]),
    # singular values are reported, not differentiated (as in PyTorch)
    OpRow("linalg.lstsq", lambda t: [S(t((5, 3)), t((5, 2)), driver="gelsd")], op=_lin("lstsq"), grad=False,
          rtol=1e-3, atol=1e-4, note="singular values"),
    OpRow("linalg.pinv", lambda t: [S(t((4, 3))), S(t((3, 4))), S(t((2, 3, 3)))], op=_lin("pinv"), rtol=1e-3,
          atol=1e-4),
    OpRow("linalg.pinv", lambda t: [S(t((3, 3)), hermitian=True)], op=lambda lib, a, **k: lib.linalg.pinv(
        _sym(lib, a), **k), rtol=1e-3, atol=1e-4, note="hermitian"),
    OpRow("linalg.pinv", lambda t: [S(_singular(t), rtol=1e-3), S(_singular(t), atol=1e-3), S(_singular(t))],
          op=_lin("pinv"), grad=False, rtol=1e-3, atol=1e-4, note="tolerances"),
    OpRow("pinverse", lambda t: [S(t((3, 4))), S(_singular(t), 1e-3)], rtol=1e-3, atol=1e-4),
    OpRow("linalg.matrix_rank", lambda t: [S(_singular(t)), S(_singular(t), atol=10.0), S(_singular(t), rtol=0.9),
                                           S(_spd_np(t), hermitian=True)], op=_lin("matrix_rank"), grad=False),
    # ------------------------------------------------------------ matrix functions and determinants
    OpRow("linalg.matrix_exp", lambda t: [S(t((3, 3)) * 0.5), S(t((2, 3, 3)))], op=_lin("matrix_exp"),
          rtol=1e-3),
    OpRow("matrix_exp", lambda t: [S(t((3, 3)) * 0.5)], rtol=1e-3),
    OpRow("linalg.det", lambda t: [S(t((3, 3))), S(t((2, 4, 4)))], op=_lin("det"), rtol=1e-3),
    OpRow("det", lambda t: [S(t((3, 3)))]),
    OpRow("linalg.slogdet", lambda t: [S(t((3, 3))), S(t((2, 3, 3)))], op=_lin("slogdet"), rtol=1e-3),
    OpRow("slogdet", lambda t: [S(t((3, 3)))], rtol=1e-3),
    OpRow("logdet", lambda t: [S(_spd_np(t)), S(_spd_np(t, 12) * 100, note="det overflows float32")], rtol=1e-3),
    OpRow("logdet", lambda t: [S(np.stack([_spd_np(t), -_spd_np(t)]))], gradcheck=False, note="det < 0: nan"),
    OpRow("linalg.tensorinv", lambda t: [S(_spd_np(t, 4).reshape(4, 2, 2), ind=1)], op=_lin("tensorinv"),
          rtol=1e-3, atol=1e-5),
    OpRow("linalg.tensorsolve", lambda t: [S(_spd_np(t, 4).reshape(2, 2, 4), t((2, 2))),
                                           S(_spd_np(t, 4).reshape(4, 2, 2), t((2, 2)), dims=(0,))],
          op=_lin("tensorsolve"), rtol=1e-3, atol=1e-5),
]


def _reflectors(t, m=4, n=3):
    """geqrf's output of a random matrix: reflectors below the diagonal, their scales in tau."""
    import scipy.linalg.lapack as lapack
    qr, tau, _, _ = lapack.get_lapack_funcs(("geqrf",), (t((m, n)),))[0](t((m, n)))
    return np.ascontiguousarray(qr, t.dtype), np.asarray(tau, t.dtype)


def _ldl_solve_op(lib, a, b):
    LD, piv = lib.linalg.ldl_factor(_sym(lib, a))
    return lib.linalg.ldl_solve(LD, piv, b)


ROWS += [
    # ------------------------------------------------------------ Householder reflectors and LDL^T
    OpRow("geqrf", lambda t: [S(t((4, 3))), S(t((3, 5))), S(t((2, 3, 3)))], grad=False, rtol=1e-3),
    OpRow("linalg.householder_product", lambda t: [S(*_reflectors(t)), S(*_reflectors(t, 3, 3)),
                                                   S(_reflectors(t)[0], _reflectors(t)[1][:2])],
          op=_lin("householder_product"), rtol=1e-3,
          errors=lambda t: [S(t((3, 4)), t((2,))), S(t((4, 3)), t((4,)))]),
    OpRow("orgqr", lambda t: [S(*_reflectors(t))], rtol=1e-3),
    OpRow("ormqr", lambda t: [S(*_reflectors(t), t((4, 2))), S(*_reflectors(t), t((4, 2)), True, True),
                              S(*_reflectors(t), t((2, 4)), False), S(*_reflectors(t), t((2, 4)), False, True)],
          rtol=1e-3),
    OpRow("linalg.ldl_factor", lambda t: [S(t((3, 3))), S(t((2, 4, 4)))], grad=False, rtol=1e-3,
          op=lambda lib, a, **k: lib.linalg.ldl_factor(_sym(lib, a), **k)),
    OpRow("linalg.ldl_factor_ex", lambda t: [S(t((3, 3))), S(np.zeros((3, 3), t.dtype))], grad=False, rtol=1e-3,
          op=lambda lib, a: lib.linalg.ldl_factor_ex(_sym(lib, a))),
    OpRow("linalg.ldl_solve", lambda t: [S(t((3, 3)), t((3, 2))), S(t((2, 3, 3)), t((2, 3, 1)))], grad=False,
          rtol=1e-3, op=_ldl_solve_op),
]
