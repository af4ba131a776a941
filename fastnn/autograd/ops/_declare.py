"""The op catalogue's machinery: declare an op once, generate torch.x, Tensor.x, Tensor.x_ and out=.

An op is a plain function `f(input, *args, **kwargs) -> Tensor` (usually a thin argument check around
a Function). `declare` records it in REGISTRY with what PyTorch gives it:

* torch=True   ->  fastnn.x         (with `out=` when out=True)
* method=True  ->  Tensor.x         (self is the first argument)
* inplace=True ->  Tensor.x_        (computed out of place, then written into self; see `_inplace`)

`unary` and `binary` build the Function of an elementwise op from a NumPy forward and a gradient
formula, so most of the catalogue is one line per op. Nothing here runs per element or per step:
generation happens once at import, and the generated methods are the op functions themselves.
"""
import contextlib
import functools
import inspect

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ..grad_mode import state as _grad_state
from ..dtypes import result_type, default_float
from ._util import unbroadcast


class ArgumentError(RuntimeError, ValueError):
    """A bad argument value: PyTorch raises RuntimeError; fastnn's callers have caught ValueError."""


class ShapeError(ArgumentError):
    """Shapes that do not fit together."""


class DtypeError(RuntimeError, TypeError):
    """Dtypes an op does not take together: PyTorch's RuntimeError, and a TypeError."""


class OpDecl:
    __slots__ = ("name", "fn", "torch", "method", "inplace", "out", "aliases")

    def __init__(self, name, fn, torch, method, inplace, out, aliases):
        self.name, self.fn, self.torch, self.method = name, fn, torch, method
        self.inplace, self.out, self.aliases = inplace, out, tuple(aliases)

    def __repr__(self):
        kinds = [k for k in ("torch", "method", "inplace", "out") if getattr(self, k)]
        return f"OpDecl({self.name!r}: {', '.join(kinds)})"


REGISTRY = {}


def declare(fn=None, *, name=None, torch=True, method=True, inplace=False, out=False, aliases=()):
    """Register fn as an op (usable as a decorator, with or without arguments)."""
    def register(f):
        n = name or f.__name__
        REGISTRY[n] = OpDecl(n, _numpy_keywords(f), torch, method, inplace, out, aliases)
        return f
    return register(fn) if fn is not None else register


_NUMPY_KEYWORDS = {"axis": "dim", "keepdims": "keepdim"}


def _numpy_keywords(fn):
    """fn also taking NumPy's axis= and keepdims= for dim= and keepdim=, as every PyTorch op does."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    renames = {a: d for a, d in _NUMPY_KEYWORDS.items() if d in params and a not in params}
    if not renames:
        return fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if kwargs and not renames.keys().isdisjoint(kwargs):
            for alias, dim in renames.items():
                if alias in kwargs:
                    if dim in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {dim!r} and its alias {alias!r}")
                    kwargs[dim] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return op


# ---------------------------------------------------------------- elementwise factories
# Function class names are what tools that walk the graph key on (fastnn.onnx translates "Tanh", "Add", ...)
_FUNCTION_NAMES = {"relu": "ReLU"}


def _camel(name):
    return _FUNCTION_NAMES.get(name) or "".join(p.capitalize() for p in name.split("_"))


def _float_input(a):
    """Integer and bool inputs of float math become the default float dtype, as in PyTorch."""
    return a if a.dtype.kind == "f" else a.to(default_float())


def unary(name, forward, grad=None, *, kind="float", inplace=True, out=True, method=True, torch=True, aliases=(),
          ints=True, register=True, quiet=True):
    """Declare an elementwise one-input op.

    forward(x) -> ndarray; grad(g, x, y) -> dx (None: not differentiable).
    kind: 'float' (int/bool inputs computed in the default float dtype), 'same' (keeps the dtype),
    'bool' (a predicate: bool result, no gradient). ints=False: integer inputs raise, as in PyTorch.
    quiet=False: the op cannot raise NumPy's floating-point warnings, so it skips np.errstate (which costs
    microseconds per call: it matters for relu and tanh in every training step).
    """
    errstate = _ignore_fp_errors if quiet else _keep_fp_errors
    fn_cls = None
    if grad is not None:
        if quiet:
            def fwd(ctx, a):
                with np.errstate(all="ignore"):
                    y = np.asarray(forward(a))
                if y.dtype != a.dtype and a.dtype.kind == "f":
                    y = y.astype(a.dtype)
                ctx.saved_tensors = (a, y)
                return y

            def bwd(ctx, g):
                a, y = ctx.saved_tensors
                with np.errstate(all="ignore"):
                    return np.asarray(grad(g, a, y), dtype=g.dtype)
        else:  # the same without np.errstate, which costs microseconds per call
            def fwd(ctx, a):
                y = np.asarray(forward(a))
                if y.dtype != a.dtype and a.dtype.kind == "f":
                    y = y.astype(a.dtype)
                ctx.saved_tensors = (a, y)
                return y

            def bwd(ctx, g):
                a, y = ctx.saved_tensors
                return np.asarray(grad(g, a, y), dtype=g.dtype)
        fn_cls = type(_camel(name), (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})

    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        if not ints and input.dtype.kind != "f":
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{input.dtype}\'')
        if kind == "float":
            input = _float_input(input)
        if fn_cls is not None and input.requires_grad:
            return fn_cls.apply(input)
        with errstate():
            y = np.asarray(forward(input._data))
        if kind == "bool":
            return _wrap(y.astype(np.bool_, copy=False))
        if y.dtype != input.dtype:
            y = y.astype(input.dtype)
        return _wrap(y)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}(input): elementwise, as in PyTorch."
    if register:
        declare(op, inplace=inplace and kind != "bool", out=out, method=method, torch=torch, aliases=aliases)
    return op


_NULL = contextlib.nullcontext()


def _keep_fp_errors():
    return _NULL


def _ignore_fp_errors():
    return np.errstate(all="ignore")  # a fresh one each time: an errstate cannot be entered twice


def _operand(x, name, argname):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, np.ndarray):
        from ..dtypes import as_supported_array
        return _wrap(as_supported_array(x))
    if type(x).__name__ == "SparseCOOTensor":   # dense op sparse gives a dense result, as in PyTorch
        return x.to_dense()
    raise TypeError(f"{name}(): argument '{argname}' must be Tensor or Number, not {type(x).__name__}")


def binary(name, forward, grad_a=None, grad_b=None, *, kind="promote", inplace=True, out=True, method=True,
           torch=True, aliases=(), argnames=("input", "other"), register=True, tensor_only=False, int_div=False,
           bools=True, quiet=True):
    """Declare an elementwise two-input op with PyTorch's type promotion and broadcasting.

    forward(a, b) -> ndarray (both arrays already of the result dtype); grad_a/grad_b(g, a, b, y).
    kind: 'promote' (the promoted dtype), 'float' (promoted, then at least the default float),
    'bool' (a comparison: bool result, no gradient), 'double' (always float64). register=False: build the
    op without declaring it (a declared wrapper adds arguments such as alpha). tensor_only: `other` must be
    a Tensor (PyTorch has no Number overload). int_div: integer division by zero raises, as in PyTorch.
    """
    differentiable = grad_a is not None or grad_b is not None
    errstate = _ignore_fp_errors if quiet else _keep_fp_errors

    def fwd(ctx, a, b):
        with errstate():
            y = np.asarray(forward(a, b))
        ctx.saved_tensors = (a, b, y)
        return y

    def bwd(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        with errstate():
            ga = unbroadcast(np.asarray(grad_a(g, a, b, y), g.dtype), a.shape) if need[0] and grad_a else None
            gb = unbroadcast(np.asarray(grad_b(g, a, b, y), g.dtype), b.shape) if need[1] and grad_b else None
        return ga, gb
    fn_cls = type(_camel(name), (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})

    def op(input, other):
        a = _operand(input, name, argnames[0])
        b = _operand(other, name, argnames[1])
        if tensor_only and not isinstance(b, Tensor):
            raise TypeError(f"{name}(): argument '{argnames[1]}' (position 2) must be Tensor, not {type(other).__name__}")
        if type(a) is type(b) and a.dtype == b.dtype:  # the common case: no promotion to work out
            dt = a.dtype
        else:
            dt = result_type(a, b)
        if kind == "float" and dt.kind != "f":
            dt = default_float()
        elif kind == "double":
            dt = np.dtype(np.float64)
        ta = _as(a, dt)
        tb = _as(b, dt)
        if ta._data.shape != tb._data.shape:
            try:
                np.broadcast_shapes(ta._data.shape, tb._data.shape)
            except ValueError:
                raise ShapeError(f"{name}: shapes {list(ta.shape)} and {list(tb.shape)} cannot broadcast: the size of "
                                 f"tensor a must match the size of tensor b at non-singleton dimensions") from None
        if int_div and dt.kind in "iu" and not tb._data.all():
            raise ArgumentError("ZeroDivisionError")
        if not bools and dt.kind == "b":
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')
        if kind != "bool" and differentiable and (ta.requires_grad or tb.requires_grad):
            return fn_cls.apply(ta, tb)
        try:
            with errstate():
                y = np.asarray(forward(ta._data, tb._data))
        except ValueError as err:  # e.g. integers to negative integer powers
            raise ShapeError(f"{name}: {err}") from None
        return _wrap(y.astype(np.bool_, copy=False) if kind == "bool" else y.astype(dt, copy=False))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}(input, other): elementwise with broadcasting and PyTorch's type promotion."
    if register:
        declare(op, inplace=inplace, out=out, method=method, torch=torch, aliases=aliases)
    return op


def _as(x, dt):
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt else x.to(dt)
    return _wrap(np.asarray(x, dt))


# ---------------------------------------------------------------- generated variants
class InplaceError(RuntimeError):
    pass


def _check_result(self, res, name):
    r = res._data
    if r.shape != self._data.shape:
        raise RuntimeError(f"{name}: output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(r.shape)}")
    if r.dtype != self._data.dtype and not np.can_cast(r.dtype, self._data.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {r.dtype} can't be cast to the desired output type {self.dtype}")


def _in_graph(self, args, kwargs):
    if not _grad_state.enabled:
        return False
    if self.requires_grad:
        return True
    return any(isinstance(a, Tensor) and a.requires_grad for a in args) or \
        any(isinstance(a, Tensor) and a.requires_grad for a in kwargs.values())


def ufunc_in_place(self, ufunc, other):
    """self = ufunc(self, other) written straight into self's memory, when that is what the general path would
    do: outside the graph, self floating point, other a Python number or a tensor of self's dtype and shape
    (so neither promotion nor broadcasting of self can arise). Returns False (nothing done) otherwise.
    The general path computed a new array and copied it back: add_ on a 128 x 128 tensor took 4 us, mul_ by a
    number 9 us, against PyTorch's 2-3 (the soft target update of a DQN step, 18 such calls)."""
    data = self._data
    if data.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        value = other._data
        if value.dtype != data.dtype or value.shape != data.shape:
            return False
        if _grad_state.enabled and (self.requires_grad or other.requires_grad):
            return False
    elif type(other) in (float, int):
        value = other
        if _grad_state.enabled and self.requires_grad:
            return False
    else:
        return False
    with np.errstate(all="ignore"):   # inf and NaN arise as in PyTorch, without NumPy's warnings
        ufunc(data, value, out=data)
    return True


def _inplace(fn, name, view=False):
    """Tensor.x_: compute fn(self, ...) and make self that result.

    Outside the graph the result is written into self's memory (views and aliases see it).
    In the graph self is rebound to the result (its array and creator), the way PyTorch rebases the
    history of a tensor modified in place. Rebinding cannot reach operations that already used self,
    so that case raises (PyTorch raises too when such an operation saved self for its backward).
    """
    ufunc = getattr(fn, "inplace_ufunc", None)

    def method(self, *args, **kwargs):
        if ufunc is not None and not kwargs and len(args) == 1 and ufunc_in_place(self, ufunc, args[0]):
            return self
        if view and not _in_graph(self, args, kwargs):  # a new view of the same memory (t_, squeeze_, ...)
            self._data = fn(self, *args, **kwargs)._data
            return self
        if not _in_graph(self, args, kwargs):
            res = fn(self, *args, **kwargs)
            _check_result(self, res, name)
            np.copyto(self._data, res._data, casting="unsafe")
            return self
        if self.requires_grad and self._ctx is None:
            raise InplaceError(f"{name}: a leaf Variable that requires grad is being used in an in-place operation.")
        if getattr(self, "_used", False):
            raise InplaceError(f"{name}: one of the variables needed for gradient computation would be modified by "
                               f"an inplace operation: this tensor was already used by an operation in the graph; "
                               f"write the out-of-place form (x = x.{name[:-1]}(...)) instead")
        if not view and self._data.base is not None and not self.requires_grad:
            # a view written with a value that requires grad: rebinding would leave the viewed tensor
            # unchanged (a silently wrong result), so refuse
            raise InplaceError(f"{name}: writing a value that requires grad into a view is not differentiable in "
                               f"fastnn (the viewed tensor would not see it); build "
                               f"the result out of place (fastnn.cat/stack/where) or write under no_grad()")
        if not view and self._data.base is not None and self.requires_grad:
            # rebinding a view would leave its base unchanged, and writing into it could corrupt what
            # an earlier operation saved: refuse rather than guess
            raise InplaceError(f"{name}: in-place operation on a view of a tensor in the graph is not supported; "
                               f"write the out-of-place form (x = x.{name[:-1]}(...)) instead")
        old = _wrap(self._data, self._ctx, self._idx)
        old.requires_grad = self.requires_grad
        res = fn(old, *args, **kwargs)
        if not view:
            _check_result(self, res, name)
        if res.dtype != self.dtype:
            res = res.to(self.dtype)
        self._data, self._ctx, self._idx, self.requires_grad = res._data, res._ctx, res._idx, res.requires_grad
        return self
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of {name[:-1]}()."
    return method


def write_out(out, res, name="out"):
    """Copy a result into a user's out= tensor (resized when its shape differs, as PyTorch does)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: argument 'out' must be Tensor, not {type(out).__name__}")
    if _grad_state.enabled and (out.requires_grad or res.requires_grad):
        raise RuntimeError(f"{name}: functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad.")
    r = res._data
    if r.dtype != out.dtype and not np.can_cast(r.dtype, out.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {r.dtype} can't be cast to the desired output type {out.dtype}")
    if r.shape != out.shape:
        out._data = np.empty(r.shape, out.dtype)
    np.copyto(out._data, r, casting="unsafe")
    return out


def _with_out(fn, name):
    @functools.wraps(fn)
    def f(*args, out=None, **kwargs):
        res = fn(*args, **kwargs)
        if out is None:
            return res
        if isinstance(res, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(res):
                raise TypeError(f"{name}: out must be a tuple of {len(res)} tensors")
            for o, r in zip(out, res):
                write_out(o, r, name)
            return type(res)(*out) if hasattr(res, "_fields") else tuple(out)
        return write_out(out, res, name)
    return f


def torch_functions():
    """name -> callable for the fastnn namespace (torch.x), with out= where declared."""
    ns = {}
    for d in REGISTRY.values():
        if not d.torch:
            continue
        f = _with_out(d.fn, d.name) if d.out else d.fn
        ns[d.name] = f
        for a in d.aliases:
            ns[a] = f
    return ns


SHADOWED = []  # catalogue names the Tensor class defines itself (kept); tests require this to stay empty


def _put(cls, name, value, own):
    if name in own:  # a method written in tensor.py wins over a generated one
        SHADOWED.append(name)
        return
    setattr(cls, name, value)


def install(cls):
    """Put every declared method and in-place twin on cls (Tensor)."""
    own = set(cls.__dict__)
    for d in REGISTRY.values():
        if d.method:
            _put(cls, d.name, d.fn, own)
            for a in d.aliases:
                _put(cls, a, d.fn, own)
        if d.inplace:
            view = d.inplace == "view"
            _put(cls, d.name + "_", _inplace(d.fn, d.name + "_", view), own)
            for a in d.aliases:
                _put(cls, a + "_", _inplace(d.fn, a + "_", view), own)
