"""Op table rows: reductions, scans, order statistics and sorting."""
from .opinfo import OpRow, S, FLOATS, INTS


def _dims(t, **kw):
    """Reductions: all elements, one dim, negative dim, keepdim, a tuple of dims, strided, 0-d."""
    return [S(t((3, 4), **kw)), S(t((3, 4), **kw), 1), S(t((2, 3, 4), **kw), -1, keepdim=True),
            S(t((2, 3, 4), **kw), (0, 2)), S(t((3, 4), strided=True, **kw), 0), S(t((), **kw))]


def _one_dim(t, **kw):
    return [S(t((3, 4), **kw), 1), S(t((2, 3, 4), **kw), -1, keepdim=True), S(t((3, 4), strided=True, **kw), 0),
            S(t((5,), **kw), 0)]


_BAD_DIM = lambda t: [S(t((3, 4)), 5)]  # noqa: E731

ROWS = [
    OpRow("sum", _dims, errors=_BAD_DIM),
    OpRow("sum", lambda t: [S(t((3, 4))), S(t((3, 4)), 1)], dtypes=INTS + ("bool",), grad=False, note="int"),
    OpRow("mean", _dims, errors=lambda t: [S(t((3, 4), dtype="int64"))]),
    OpRow("nansum", lambda t: [S(t((3, 4))), S(t((3, 4)), 1)]),
    OpRow("nanmean", lambda t: [S(t((3, 4))), S(t((3, 4)), 0, keepdim=True)]),
    OpRow("prod", lambda t: [S(t((3, 4))), S(t((3, 4)), 1), S(t((2, 3)), 0, keepdim=True)]),
    OpRow("amax", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 1)]),
    OpRow("amin", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 1, keepdim=True)]),
    OpRow("max", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 1)]),
    OpRow("min", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 0, True)]),
    OpRow("argmax", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 1)], grad=False,
          dtypes=FLOATS + INTS),
    OpRow("argmin", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), 0, keepdim=True)],
          grad=False),
    OpRow("var", lambda t: [S(t((3, 4))), S(t((3, 4)), 1), S(t((3, 4)), 0, correction=0)]),
    OpRow("std", lambda t: [S(t((3, 4))), S(t((3, 4)), 1, keepdim=True)]),
    OpRow("var_mean", lambda t: [S(t((3, 4))), S(t((3, 4)), 1)]),
    OpRow("std_mean", lambda t: [S(t((3, 4)), 0, correction=0)]),
    OpRow("logsumexp", lambda t: [S(t((3, 4)), 1), S(t((2, 3, 4)), (0, 2), keepdim=True)]),
    OpRow("norm", lambda t: [S(t((3, 4))), S(t((3, 4)), 1, 1), S(t((3, 4)), float("inf"), 0)]),
    OpRow("all", lambda t: [S(t((3, 4))), S(t((3, 4)), 1)], dtypes=("bool", "int64"), grad=False),
    OpRow("any", lambda t: [S(t((3, 4))), S(t((3, 4)), 0)], dtypes=("bool", "int64"), grad=False),
    OpRow("count_nonzero", lambda t: [S(t((3, 4))), S(t((3, 4)), 1)], dtypes=("int64", "float32"), grad=False),
    OpRow("aminmax", lambda t: [S(t((3, 4), distinct=True)), S(t((3, 4), distinct=True), dim=1)]),
    OpRow("median", lambda t: [S(t((3, 5), distinct=True)), S(t((3, 4), distinct=True), 1),
                               S(t((3, 4), distinct=True), 0, keepdim=True)], dtypes=FLOATS + ("int64",)),
    OpRow("nanmedian", lambda t: [S(t((3, 5), distinct=True)), S(t((3, 4), distinct=True), 1)]),
    OpRow("mode", lambda t: [S(t((3, 6), low=0, high=3, dtype="int64"))], grad=False),
    OpRow("quantile", lambda t: [S(t((3, 5), distinct=True), 0.3), S(t((3, 5), distinct=True), 0.5, dim=1),
                                 S(t((6,), distinct=True), 0.25, interpolation="nearest")],
          errors=lambda t: [S(t((3,)), 1.5)]),
    OpRow("kthvalue", lambda t: [S(t((3, 5), distinct=True), 2), S(t((3, 5), distinct=True), 1, 0, True)],
          errors=lambda t: [S(t((3,)), 4)]),
    OpRow("cumsum", lambda t: [S(t((3, 4)), 1), S(t((3, 4), strided=True), 0)]),
    OpRow("cumprod", lambda t: [S(t((3, 4)), 1), S(t((2, 3)), 0)]),
    OpRow("cummax", lambda t: [S(t((3, 5), distinct=True), 1)]),
    OpRow("cummin", lambda t: [S(t((3, 5), distinct=True), 0)]),
    OpRow("logcumsumexp", lambda t: [S(t((3, 4)), 1)]),
    OpRow("diff", lambda t: [S(t((3, 5))), S(t((3, 5)), n=2, dim=0), S(t((4,)), prepend=t((2,)))]),
    OpRow("sort", lambda t: [S(t((3, 5), distinct=True)), S(t((3, 5), distinct=True), 0, True),
                             S(t((3, 5), distinct=True, strided=True), descending=True)]),
    OpRow("sort", lambda t: [S(t((3, 5), low=0, high=3), stable=True), S(t((6,), low=0, high=3), descending=True,
                                                                         stable=True)],
          dtypes=("int64", "uint8"), grad=False, note="ties, stable"),
    OpRow("argsort", lambda t: [S(t((3, 5), distinct=True)), S(t((3, 5), distinct=True), 0, True)], grad=False),
    OpRow("msort", lambda t: [S(t((4, 3), distinct=True))]),
    OpRow("topk", lambda t: [S(t((3, 5), distinct=True), 2), S(t((3, 5), distinct=True), 2, 0, False)],
          errors=lambda t: [S(t((3,)), 4)]),
    OpRow("unique", lambda t: [S(t((10,), low=0, high=4)), S(t((3, 4), low=0, high=3), return_inverse=True,
                                                             return_counts=True)], dtypes=("int64", "float32"),
          grad=False),
    OpRow("bincount", lambda t: [S(t.index((10,), 5)), S(t.index((10,), 5), minlength=8),
                                 S(t.index((6,), 4), weights=t((6,)))], dtypes=("float32", "float64"), grad=False),
    OpRow("searchsorted", lambda t: [S(t((6,), distinct=True) * 0 + __import__("numpy").arange(6, dtype=t.dtype),
                                       t((3, 2), low=0, high=6)),
                                     S(__import__("numpy").arange(6, dtype=t.dtype), t((4,), low=0, high=6),
                                       right=True)], grad=False),
    OpRow("bucketize", lambda t: [S(t((3, 4), low=0, high=6), __import__("numpy").arange(6, dtype=t.dtype))],
          grad=False),
    OpRow("histc", lambda t: [S(t((20,))), S(t((20,)), bins=4, min=-1, max=1)], grad=False),
    OpRow("isin", lambda t: [S(t((3, 4), low=0, high=6), t((3,), low=0, high=6))], dtypes=("int64",),
          grad=False),
]
