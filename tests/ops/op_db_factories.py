"""Op table rows: tensor constructors (from data, buffers and NumPy; *_like; uninitialised ones by
shape, dtype and strides), dtype promotion queries, the small torch.* predicates and joins, and
torch.linalg.LinAlgError."""
import numpy as np

from .opinfo import OpRow, S, FLOATS, INTS
from .op_db_tensor_api import _exc

ALL = FLOATS + INTS + ("bool",)


def _dt(d):
    return str(d).replace("torch.", "")


def _fn(name):
    return lambda lib, *a, **k: getattr(lib, name)(*a, **k)


def _meta(x):
    return tuple(x.shape), _dt(x.dtype), x.requires_grad


def _like(name, *extra):
    return lambda lib, x, **k: getattr(lib, name)(x, *extra, **k)


def _from_numpy(lib, x):
    a = x.numpy().copy()
    t = lib.from_numpy(a)
    a.flat[0] = 7  # shares memory with the array
    return t, _exc(lambda: lib.from_numpy([1, 2]))


def _as_tensor(lib, x):
    a = x.numpy().copy()
    t = lib.as_tensor(a)  # same dtype: no copy
    a.flat[0] = 5
    c = lib.as_tensor(a, dtype=lib.float64)  # another dtype: a copy
    return (t, c, lib.as_tensor(t) is t, lib.as_tensor([1, 2.5]), lib.as_tensor(3),
            lib.as_tensor([[1, 2]], dtype=lib.int32))


def _frombuffer(lib):
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    t = lib.frombuffer(buf, dtype=lib.float32)
    part = lib.frombuffer(buf, dtype=lib.float32, count=2, offset=8)
    buf[0:4] = np.float32(9).tobytes()  # shares memory with the buffer
    return (t, part, lib.frombuffer(bytes([1, 0, 2, 0]), dtype=lib.int16),
            _exc(lambda: lib.frombuffer(bytearray(6), dtype=lib.float32)),
            _exc(lambda: lib.frombuffer(buf, dtype=lib.float32, offset=40)))


def _tensor(lib, x):
    return (lib.tensor(x.tolist()), lib.tensor(x), lib.tensor(x, dtype=lib.float64), lib.tensor(3.5), lib.tensor([]),
            lib.tensor([[1, 2], [3, 4]]), lib.tensor([True, False]), lib.tensor(x.numpy()), lib.tensor(x).requires_grad,
            lib.tensor(x, requires_grad=True).requires_grad, _exc(lambda: lib.tensor([[1, 2], [3]])))


def _scalar_tensor(lib):
    return (lib.scalar_tensor(2.5), lib.scalar_tensor(3), lib.scalar_tensor(True),
            lib.scalar_tensor(1, dtype=lib.int64))


def _empty(lib):
    return (_meta(lib.empty(2, 3)), _meta(lib.empty((4,), dtype=lib.int64)), _meta(lib.empty([0, 2])),
            _meta(lib.empty(2, requires_grad=True)), lib.empty(2, 3).is_contiguous(), _exc(lambda: lib.empty(-1)))


def _empty_like(lib, x):
    return (_meta(lib.empty_like(x)), _meta(lib.empty_like(x, dtype=lib.float64)),
            _meta(lib.empty_like(x, requires_grad=True)) if x.is_floating_point() else None)


def _empty_strided(lib):
    a = lib.empty_strided((2, 3), (1, 2))
    b = lib.empty_strided((2, 3), (3, 1), dtype=lib.int64)
    return a.stride(), _meta(a), b.stride(), _meta(b), a.is_contiguous(), _exc(lambda: lib.empty_strided((2, 3), (1,)))


def _empty_permuted(lib):
    a = lib.empty_permuted((2, 3, 4), (0, 2, 1))
    b = lib.empty_permuted((2, 3), (1, 0), dtype=lib.float64)
    return a.stride(), _meta(a), b.stride(), _meta(b), _exc(lambda: lib.empty_permuted((2, 3), (0, 0)))


def _promote(lib):
    d = [lib.bool, lib.uint8, lib.int8, lib.int16, lib.int32, lib.int64, lib.float16, lib.float32, lib.float64]
    return tuple(_dt(lib.promote_types(a, b)) for a in d for b in d)


def _can_cast(lib):
    d = [lib.bool, lib.uint8, lib.int8, lib.int32, lib.int64, lib.float16, lib.float32, lib.float64]
    return tuple(lib.can_cast(a, b) for a in d for b in d)


def _result_type(lib, x, y):
    return (_dt(lib.result_type(x, y)), _dt(lib.result_type(x, 2)), _dt(lib.result_type(x, 2.5)),
            _dt(lib.result_type(x, True)), _dt(lib.result_type(3, x)), _dt(lib.result_type(x, lib.tensor(2.5))),
            _dt(lib.result_type(x, lib.tensor([2.5], dtype=lib.float64))))


def _linalg_error(lib):
    singular = lib.zeros(2, 2)
    try:
        lib.linalg.inv(singular)
    except lib.linalg.LinAlgError as e:
        caught = type(e) is lib.linalg.LinAlgError
    return (caught, issubclass(lib.linalg.LinAlgError, RuntimeError),
            _exc(lambda: lib.linalg.cholesky(-lib.eye(2))))


ROWS = [
    OpRow("from_numpy", lambda t: [S(t((2, 3))), S(t(()))], op=_from_numpy, dtypes=ALL, grad=False),
    OpRow("as_tensor", lambda t: [S(t((2, 3)))], op=_as_tensor, dtypes=ALL, grad=False),
    OpRow("frombuffer", lambda t: [S()], op=_frombuffer, dtypes=("float32",), grad=False),
    OpRow("tensor", lambda t: [S(t((2, 3)))], op=_tensor, dtypes=FLOATS, grad=False),
    OpRow("scalar_tensor", lambda t: [S()], op=_scalar_tensor, dtypes=("float32",), grad=False),
    OpRow("empty", lambda t: [S()], op=_empty, dtypes=("float32",), grad=False),
    OpRow("empty_like", lambda t: [S(t((2, 3))), S(t((3, 2)).T)], op=_empty_like, dtypes=ALL, grad=False),
    OpRow("empty_strided", lambda t: [S()], op=_empty_strided, dtypes=("float32",), grad=False),
    OpRow("empty_permuted", lambda t: [S()], op=_empty_permuted, dtypes=("float32",), grad=False),
    OpRow("zeros_like", lambda t: [S(t((2, 3))), S(t((2, 3)), dtype="dtype:int64"), S(t((3, 2)).T)],
          op=_like("zeros_like"), dtypes=ALL, grad=False),
    OpRow("ones_like", lambda t: [S(t((2, 3))), S(t((2, 3)), dtype="dtype:float64")], op=_like("ones_like"),
          dtypes=ALL, grad=False),
    OpRow("full_like", lambda t: [S(t((2, 3)), 2.5), S(t((2, 3)), 7, dtype="dtype:int64"), S(t((1,)), True)],
          op=lambda lib, x, v, **k: lib.full_like(x, v, **k), dtypes=ALL, grad=False),
    OpRow("promote_types", lambda t: [S()], op=_promote, dtypes=("float32",), grad=False),
    OpRow("can_cast", lambda t: [S()], op=_can_cast, dtypes=("float32",), grad=False),
    OpRow("result_type", lambda t: [S(t((2,)), t((2,), dtype="int64")), S(t((2,)), t((2,), dtype="float64"))],
          op=_result_type, dtypes=ALL, grad=False),
    OpRow("typename", lambda t: [S(t((2,)))], op=lambda lib, x: (lib.typename(x), lib.typename(3)), dtypes=ALL,
          grad=False),
    OpRow("is_tensor", lambda t: [S(t((2,)))], grad=False,
          op=lambda lib, x: (lib.is_tensor(x), lib.is_tensor(x.numpy()), lib.is_tensor(3),
                             lib.is_tensor(lib.nn.Parameter(x.double())))),
    OpRow("is_storage", lambda t: [S(t((2,)))], op=lambda lib, x: (lib.is_storage(x), lib.is_storage([1])), grad=False),
    OpRow("is_floating_point", lambda t: [S(t((2,)))], op=_fn("is_floating_point"), dtypes=ALL, grad=False),
    OpRow("is_nonzero", lambda t: [S(t((1,))), S(np.zeros((), t.dtype))], op=_fn("is_nonzero"), dtypes=ALL,
          grad=False, errors=lambda t: [S(t((3,)))]),
    OpRow("is_inference", lambda t: [S(t((2,)))], op=_fn("is_inference"), grad=False),
    OpRow("numel", lambda t: [S(t((2, 3))), S(np.zeros((), t.dtype)), S(t((0, 4)))], op=_fn("numel"), dtypes=ALL,
          grad=False),
    OpRow("get_device", lambda t: [S(t((2,)))], op=_fn("get_device"), grad=False),
    OpRow("atleast_1d", lambda t: [S(t(())), S(t((3,))), S(t((2, 3))), S(t(()), t((2,)))]),
    OpRow("atleast_3d", lambda t: [S(t(())), S(t((3,))), S(t((2, 3))), S(t((2, 3, 4)))]),
    OpRow("concat", lambda t: [S([t((2, 3)), t((4, 3))]), S([t((2, 3)), t((2, 1))], 1)], gradcheck=False,
          errors=lambda t: [S([t((2, 3)), t((2, 4))])]),
    OpRow("concatenate", lambda t: [S([t((2, 3)), t((4, 3))]), S([t((2, 3)), t((2, 1))], axis=1),
                                    S([t((2, 3)), t((2, 1))], dim=1)], gradcheck=False),
    OpRow("row_stack", lambda t: [S([t((3,)), t((2, 3))])], gradcheck=False),
    OpRow("split_with_sizes_copy", lambda t: [S(t((5, 2)), [2, 3]), S(t((2, 5)), [1, 4], 1)],
          op=_fn("split_with_sizes_copy"), errors=lambda t: [S(t((5, 2)), [2, 2])]),
    OpRow("unsafe_split_with_sizes", lambda t: [S(t((5, 2)), [2, 3])], op=_fn("unsafe_split_with_sizes"),
          note="torch"),
    OpRow("linalg.LinAlgError", lambda t: [S()], op=_linalg_error, dtypes=("float32",), grad=False),
]
