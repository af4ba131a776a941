"""Op table rows: special functions, splits and slice scatters, distances and statistics, windows,
and the smaller Tensor methods."""
import numpy as np

from .opinfo import OpRow, S, FLOATS, INTS, unary_shapes


def _spd(t, n=3):
    a = t((n, n))
    return a @ a.T + n * np.eye(n, dtype=a.dtype)


def _fn(name):
    return lambda lib, *a, **k: getattr(lib, name)(*a, **k)


ROWS = [
    OpRow("i0", lambda t: unary_shapes(t, low=-2, high=2)),
    OpRow("igamma", lambda t: [S(t((3, 4), low=0.5, high=3), t((3, 4), low=0.2, high=3))], gradcheck=False,
          grad=False),
    OpRow("igammac", lambda t: [S(t((3, 4), low=0.5, high=3), t((4,), low=0.2, high=3))], grad=False),
    OpRow("ldexp", lambda t: [S(t((3, 4)), t((3, 4), low=-2, high=3).round())]),
    OpRow("bitwise_left_shift", lambda t: [S(t((3, 4), low=0, high=8), t((3, 4), low=0, high=3))], dtypes=INTS,
          grad=False),
    OpRow("bitwise_right_shift", lambda t: [S(t((3, 4), low=0, high=60), 2)], dtypes=INTS, grad=False),
    OpRow("selu", lambda t: unary_shapes(t)),
    OpRow("celu", lambda t: [S(t((3, 4))), S(t((3, 4)), 0.5)]),
    OpRow("threshold", lambda t: [S(t((3, 4)), 0.1, 20.0)]),
    OpRow("hardshrink", lambda t: [S(t((3, 4))), S(t((3, 4)), 1.0)]),
    OpRow("polygamma", lambda t: [S(1, t((3, 4), low=0.5, high=3)), S(2, t((4,), low=0.5, high=3))],
          variants=("function",)),
    OpRow("polygamma", lambda t: [S(t((3, 4), low=0.5, high=3), 1)], variants=("method",), note="method"),
    OpRow("mvlgamma", lambda t: [S(t((3, 4), low=2, high=4), 2)]),
    OpRow("frexp", lambda t: [S(t((3, 4), low=-10, high=10))], grad=False),
    OpRow("clamp_min", lambda t: [S(t((3, 4)), 0.2)]),
    OpRow("clamp_max", lambda t: [S(t((3, 4)), 0.2)]),
    # ------------------------------------------------------------ splits, windows, slice scatters
    OpRow("tensor_split", lambda t: [S(t((7, 2)), 3), S(t((7, 2)), [1, 5]), S(t((2, 7)), 2, 1)]),
    OpRow("hsplit", lambda t: [S(t((3, 4)), 2), S(t((6,)), [2, 4])], errors=lambda t: [S(t((3, 5)), 2)]),
    OpRow("vsplit", lambda t: [S(t((4, 3)), 2)]),
    OpRow("dsplit", lambda t: [S(t((2, 2, 4)), [1, 3])]),
    OpRow("split_with_sizes", lambda t: [S(t((5, 2)), [2, 3])]),
    OpRow("select_scatter", lambda t: [S(t((3, 4)), t((4,)), 0, 1), S(t((3, 4)), t((3,)), 1, -1)],
          errors=lambda t: [S(t((3, 4)), t((5,)), 0, 1)]),
    OpRow("slice_scatter", lambda t: [S(t((6, 3)), t((2, 3)), 0, 1, 5, 2), S(t((3, 6)), t((3, 3)), 1, 3)]),
    OpRow("diagonal_scatter", lambda t: [S(t((3, 4)), t((3,))), S(t((3, 4)), t((3,)), 1),
                                         S(t((2, 3, 3)), t((2, 3)), 0, 1, 2)]),
    OpRow("unfold", lambda t: [S(t((8,)), 0, 3, 2), S(t((3, 7)), 1, 2, 2), S(t((5, 2)), 0, 5, 1)],
          errors=lambda t: [S(t((3,)), 0, 4, 1)]),
    OpRow("broadcast_tensors", lambda t: [S(t((3, 1)), t((4,)), t(()))], gradcheck=False),
    OpRow("broadcast_shapes", lambda t: [S((3, 1), (4,)), S((2, 1, 3), (5, 1))], grad=False,
          errors=lambda t: [S((3,), (4,))]),
    OpRow("unravel_index", lambda t: [S(np.array([0, 5, 11]), (3, 4))], grad=False),
    OpRow("narrow_copy", lambda t: [S(t((4, 5)), 1, 1, 3)]),
    OpRow("sum_to_size", lambda t: [S(t((3, 4)), (1, 4)), S(t((2, 3, 4)), (3, 1))],
          errors=lambda t: [S(t((3, 4)), (2, 4))]),
    OpRow("argwhere", lambda t: [S(t((3, 4)) * t.mask((3, 4)))], grad=False),
    OpRow("adjoint", lambda t: [S(t((3, 4))), S(t((2, 3, 4)))]),
    OpRow("combinations", lambda t: [S(t((4,))), S(t((4,)), 3), S(t((3,)), with_replacement=True)]),
    # ------------------------------------------------------------ distances, statistics, numerics
    OpRow("dist", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)), 1)]),
    OpRow("cdist", lambda t: [S(t((3, 2)), t((4, 2))), S(t((2, 3, 2)), t((2, 4, 2)), 1.0)]),
    OpRow("pdist", lambda t: [S(t((4, 3))), S(t((4, 3)), 1)]),
    OpRow("cov", lambda t: [S(t((3, 5))), S(t((5,))), S(t((3, 5)), correction=0)]),
    OpRow("corrcoef", lambda t: [S(t((3, 5)))]),
    OpRow("trapezoid", lambda t: [S(t((3, 5))), S(t((3, 5)), dx=0.5, dim=0),
                                  S(t((5,)), np.sort(t((5,))))], gradcheck=False),
    OpRow("trapz", lambda t: [S(t((3, 5)))]),
    OpRow("cumulative_trapezoid", lambda t: [S(t((3, 5))), S(t((4,)), dx=2.0)]),
    OpRow("vander", lambda t: [S(t((4,))), S(t((3,)), N=5, increasing=True)]),
    OpRow("histogram", lambda t: [S(t((20,)), 4), S(t((20,)), 3, range=(-1.0, 1.0))], grad=False),
    OpRow("renorm", lambda t: [S(t((3, 4)), 2, 0, 1.0)], gradcheck=False),
    OpRow("logdet", lambda t: [S(_spd(t))]),
    OpRow("chain_matmul", lambda t: [S(t((2, 3)), t((3, 4)), t((4, 2)))]),
    OpRow("frobenius_norm", lambda t: [S(t((3, 4)), (0, 1)), S(t((2, 3, 4)), (1, 2), True)],
          op=_fn("frobenius_norm")),
    OpRow("rsub", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), 2.0)]),
    OpRow("fill", lambda t: [S(t((3, 4)), 1.5)], grad=False),
    # ------------------------------------------------------------ factories and small methods
    OpRow("hann_window", lambda t: [S(5), S(6, False), S(1), S(4, dtype="dtype:float64")], op=_fn("hann_window"),
          dtypes=("float32",), grad=False),
    OpRow("hamming_window", lambda t: [S(5), S(6, False)], op=_fn("hamming_window"), dtypes=("float32",),
          grad=False),
    OpRow("blackman_window", lambda t: [S(5), S(6, False)], op=_fn("blackman_window"), dtypes=("float32",),
          grad=False, atol=1e-6),
    OpRow("bartlett_window", lambda t: [S(5), S(6, False)], op=_fn("bartlett_window"), dtypes=("float32",),
          grad=False),
    OpRow("kaiser_window", lambda t: [S(5), S(6, False, 5.0)], op=_fn("kaiser_window"), dtypes=("float32",),
          grad=False),
    OpRow("range", lambda t: [S(1, 4), S(0, 1, 0.25)], op=_fn("range"), dtypes=("float32",), grad=False),
    OpRow("asarray", lambda t: [S([1, 2]), S(t((3,)))], op=_fn("asarray"), grad=False),
    OpRow("resize", lambda t: [S(t((2, 6)), 3, 4)], op=lambda lib, x, *s: x.resize(*s), grad=False),
    OpRow("is_same_size", lambda t: [S(t((2, 3)), t((2, 3))), S(t((2, 3)), t((3, 2)))], variants=("method",),
          grad=False),
    OpRow("is_signed", lambda t: [S(t((2,)))], dtypes=FLOATS + INTS + ("bool",), grad=False),
    OpRow("as_strided", lambda t: [S(t((3, 4)), (2, 2), (1, 2)), S(t((3, 4)), (3,), (4,), 1)], grad=False),
    OpRow("ndimension", lambda t: [S(t((2, 3)))], variants=("method",), grad=False),
    OpRow("clone", lambda t: unary_shapes(t)),
    OpRow("detach", lambda t: [S(t((2, 3)))], grad=False),
]


def _lin(fn):
    return lambda lib, *a, **k: getattr(lib.linalg, fn)(*a, **k)


ROWS += [
    OpRow("linalg.vander", lambda t: [S(t((4,))), S(t((3,)), N=5)], op=_lin("vander"), gradcheck=False),
]

# ------------------------------------------------------------ ops from before the catalogue without rows elsewhere
ROWS += [
    OpRow("softmax", lambda t: [S(t((3, 4)), 1), S(t((2, 3, 4)), 0), S(t((3, 4)), -1, dtype="dtype:float64")]),
    OpRow("log_softmax", lambda t: [S(t((3, 4)), 1), S(t((2, 3, 4)), -1)]),
    OpRow("view", lambda t: [S(t((2, 6)), 3, 4), S(t((2, 6)), (-1,))], variants=("method",)),
    OpRow("view_as", lambda t: [S(t((2, 6)), t((4, 3)))], variants=("method",)),
    OpRow("reshape_as", lambda t: [S(t((2, 6)), t((4, 3)))], variants=("method",)),
    OpRow("expand", lambda t: [S(t((3, 1)), 3, 4), S(t((3, 1)), (2, 3, 4)), S(t((3, 1)), -1, 5)],
          variants=("method",), errors=lambda t: [S(t((3, 2)), 3, 4)]),
    OpRow("expand_as", lambda t: [S(t((3, 1)), t((2, 3, 4)))], variants=("method",)),
    OpRow("repeat", lambda t: [S(t((2, 3)), 2, 1), S(t((3,)), (2, 2))], variants=("method",)),
    OpRow("unflatten", lambda t: [S(t((2, 6)), 1, (2, 3)), S(t((6,)), 0, (3, -1))]),
    OpRow("t", lambda t: [S(t((2, 3))), S(t((3,)))], errors=lambda t: [S(t((2, 3, 4)))]),
    OpRow("logical_not", lambda t: [S(t((3, 4)))], dtypes=FLOATS + INTS + ("bool",), grad=False),
    OpRow("equal", lambda t: [S(t((3,)), t((3,)))], grad=False),
    OpRow("allclose", lambda t: [S(t((3,)), t((3,))), S(t((3,)), t((3,)), rtol=10.0)], grad=False),
    OpRow("std", lambda t: [S(t((3, 4)), unbiased=False)], note="unbiased"),
    OpRow("amax", lambda t: [S(t((2, 3, 4), distinct=True), (0, 2))], note="tuple dim"),
    OpRow("max", lambda t: [S(t((3, 4)), t((4,)))], note="binary"),
]


def _copy(name):
    return lambda lib, *a, **k: getattr(lib, name + "_copy")(*a, **k)


ROWS += [
    OpRow("diagflat", lambda t: [S(t((2, 2))), S(t((3,)), 1)]),
    OpRow("resize_as", lambda t: [S(t((2, 6)), t((3, 4)))], variants=("method",), grad=False),
    OpRow("is_set_to", lambda t: [S(t((2, 3)), t((2, 3)))], variants=("method",), grad=False),
    OpRow("dim_order", lambda t: [S(t((2, 3, 4))), S(t((4, 3)).T)], variants=("method",), grad=False),
    OpRow("new", lambda t: [S(t((2,)), 3, 2), S(t((2,)), [1.0, 2.0])], variants=("method",), grad=False,
          op=lambda lib, x, *a: x.new(*a).shape if isinstance(a[0], int) else x.new(*a)),
    OpRow("to_sparse_coo", lambda t: [S(t((3, 4)) * t.mask((3, 4)))], variants=("method",), grad=False,
          op=lambda lib, x: x.to_sparse_coo().to_dense()),
    OpRow("matrix_rank", lambda t: [S(_spd(t))], op=lambda lib, a: lib.linalg.matrix_rank(a), grad=False),
    OpRow("is_same_size", lambda t: [S(t((2, 3)), t((2, 3)))], op=_fn("is_same_size"), grad=False, note="torch"),
] + [OpRow(n + "_copy", (lambda args: lambda t: [S(t((3, 4)), *args)])(args), op=_copy(n), note="copy form",
           grad=n not in ("detach", "as_strided"))
     for n, args in [("t", ()), ("transpose", (0, 1)), ("unsqueeze", (1,)), ("squeeze", ()), ("permute", ((1, 0),)),
                     ("select", (1, 2)), ("diagonal", ()), ("expand", ((2, 3, 4),)), ("view", ((4, 3),)),
                     ("unfold", (1, 2, 1)), ("split", (2,)), ("unbind", ()), ("alias", ()), ("detach", ()),
                     ("slice", (1, 1, 3)), ("slice", (0, 0, None, 2)), ("as_strided", ((2, 2), (1, 2)))]]

ROWS += [
    OpRow("nextafter", lambda t: [S(t((3, 4)), t((3, 4)))], grad=False),
    OpRow("moveaxis", lambda t: [S(t((2, 3, 4)), 0, -1)]),
    OpRow("swapdims", lambda t: [S(t((2, 3, 4)), 0, 2)]),
    OpRow("put", lambda t: [S(t((3, 4)), np.array([0, 5, 11]), t((3,))),
                            S(t((3, 4)), np.array([1, 1]), t((2,)), accumulate=True)], gradcheck=False),
    OpRow("nanquantile", lambda t: [S(t((3, 5), distinct=True), 0.4, dim=1)]),
    OpRow("unique_consecutive", lambda t: [S(np.array([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True,
                                             return_counts=True)], grad=False, dtypes=("int64",)),
    OpRow("unsafe_chunk", lambda t: [S(t((5, 3)), 2)]),
    OpRow("unsafe_split", lambda t: [S(t((5, 3)), 2)]),
    OpRow("linalg.multi_dot", lambda t: [S([t((2, 3)), t((3, 4)), t((4, 2))])], op=_lin("multi_dot"),
          gradcheck=False),
    OpRow("linalg.vecdot", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)), dim=-1)], op=_lin("vecdot")),
    OpRow("linalg.inv_ex", lambda t: [S(_spd(t))], op=lambda lib, a: lib.linalg.inv_ex(a).inverse if hasattr(
        lib.linalg.inv_ex(a), "inverse") else lib.linalg.inv_ex(a)[0]),
    OpRow("type_as", lambda t: [S(t((3,)), np.zeros(2, np.int32))], variants=("method",), grad=False),
] + [OpRow(n, lambda t: [S(t((2, 3), low=0, high=5))], variants=("method",), grad=n in ("float", "double"),
           note="conversion", dtypes=FLOATS + INTS)
     for n in ("float", "double", "long", "int", "short", "char", "byte", "half", "bool")]

ROWS += [
    OpRow("index_reduce", lambda t: [S(t((4, 3)), 0, np.array([0, 2, 0]), t((3, 3)), r, include_self=s)
                                     for r in ("prod", "amax", "amin") for s in (True, False)], grad=False),
    OpRow("index_reduce", lambda t: [S(t((4, 3)), 0, np.array([0, 2, 0]), t((3, 3)), "mean")], note="mean"),
    OpRow("prelu", lambda t: [S(t((2, 3, 4)), t((3,))), S(t((2, 3)), t((1,)))]),
]

