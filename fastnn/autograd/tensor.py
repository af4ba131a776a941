"""Tensor: a NumPy array plus what reverse-mode differentiation needs.

`_data` is the ndarray (`.numpy()` shares it); `_ctx` is the Function that made
the tensor (None for leaves) and `_idx` which of its outputs this is. Operations
live in fastnn.autograd.ops; the methods here only forward to them.
"""
import numpy as np

from .dtypes import (as_supported_array, canonical_dtype, is_float, float32, float64, float16, int64, int32, int16,
                     int8, uint8, bool_)
from .grad_mode import state as _grad_state
from ..device import CPU, device, check_cpu


class Tensor:
    # _used (never initialised: read with getattr) marks a tensor an operation in the graph consumed,
    # which an in-place op must then refuse (fastnn.autograd.ops._declare._inplace)
    __slots__ = ("_data", "requires_grad", "grad", "_ctx", "_idx", "_used", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__

    def __init__(self, *data, dtype=None, requires_grad=False):
        # PyTorch's legacy constructor: Tensor(2, 3) is a float tensor of that shape (zeros here,
        # not uninitialised memory), Tensor() an empty one, Tensor([1, 2]) a float tensor of that data.
        if not data or all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in data):
            data = np.zeros(tuple(int(d) for d in data) if data else (0,), float32 if dtype is None else dtype)
        elif len(data) != 1:
            raise TypeError(f"Tensor() takes one data argument or integer sizes, got {data!r}")
        else:
            data = data[0]
            if isinstance(data, Tensor):
                data = data._data
            elif dtype is None and not isinstance(data, (np.ndarray, np.generic)):
                dtype = float32
        self._data = as_supported_array(data, dtype)
        self.requires_grad = False
        self.grad = None
        self._ctx = None
        self._idx = 0
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ basics
    @property
    def data(self):
        """A tensor sharing this one's array, outside the graph (PyTorch's `.data`)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else as_supported_array(value)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def device(self):
        return CPU

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def is_cuda(self):
        return False

    def size(self, dim=None):
        if dim is None:
            return self._data.shape
        return self._data.shape[_norm_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()")
        return self._data

    def share_memory_(self):
        """Move the data into shared memory (in place; views taken before keep the old memory), so that
        processes this tensor is passed to through fastnn.multiprocessing write to the same array."""
        from ..multiprocessing.reductions import share_tensor_
        return share_tensor_(self)

    def is_shared(self):
        from ..multiprocessing.reductions import is_shared_array
        return is_shared_array(self._data)

    def __array__(self, dtype=None, copy=None):
        data = np.asarray(self._data)   # an element taken by indexing may be held as a NumPy scalar
        return data if dtype is None else data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            from .ops._declare import ArgumentError  # PyTorch: RuntimeError
            raise ArgumentError(f"only one-element tensors can be converted to Python scalars, got shape {self.shape}")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("the truth value of a tensor with more than one element is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        # PyTorch: a 0-d tensor formats as its Python number; others only with an empty spec
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extras = []
        if self._data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=fastnn.{self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not is_float(self._data.dtype):
            raise RuntimeError(f"only floating point tensors can require gradients, got {self._data.dtype}")
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf tensors")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate gradients of this tensor into the .grad of the leaves it depends on."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            g = np.array(1, dtype=self._data.dtype).reshape(self._data.shape)  # ones_like costs ~1 us more
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=self._data.dtype)
            if g.shape != self._data.shape:
                from .ops._declare import ArgumentError  # PyTorch: RuntimeError
                raise ArgumentError(f"gradient must have shape {self.shape}, got {g.shape}")
        _engine().run_backward(self, g, bool(retain_graph))

    def register_post_accumulate_grad_hook(self, hook):
        """Call hook(self) after backward has accumulated this leaf's .grad (once per pass)."""
        from .hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    def register_hook(self, hook):
        """Call hook(grad) with this tensor's gradient during backward; a returned tensor replaces it."""
        from .hooks import register_grad_hook
        return register_grad_hook(self, hook)

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor during backward."""
        if self._ctx is None:
            return
        retained = getattr(self._ctx, "retained", None)
        if retained is None:
            retained = self._ctx.retained = []
        retained.append((self._idx, self))

    def detach(self):
        return _wrap(self._data)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------ conversion
    def to(self, *args, **kwargs):
        """to(dtype), to(device) (only 'cpu'), to(other_tensor)."""
        dtype = kwargs.get("dtype")
        check_cpu(kwargs.get("device"))
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)) or a is None:
                check_cpu(a)
            else:
                dtype = a
        if dtype is None or canonical_dtype(dtype) == self.dtype:
            return self.clone() if kwargs.get("copy") else self
        return _ops.cast(self, canonical_dtype(dtype))

    def type(self, dtype=None, non_blocking=False, **kwargs):
        from .tensor_type import tensor_type
        return tensor_type(self, dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def short(self):
        return self.to(int16)

    def char(self):
        return self.to(int8)

    def byte(self):
        return self.to(uint8)

    def half(self):
        return self.to(float16)

    def bfloat16(self):
        return self.to(canonical_dtype("bfloat16"))   # (a clear TypeError without ml_dtypes)

    def bool(self):
        return self.to(bool_)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        from ..device import DeviceUnavailableError
        raise DeviceUnavailableError("Torch not compiled with CUDA enabled (fastnn runs on the CPU only)")

    def is_floating_point(self):
        return is_float(self._data.dtype)

    def clone(self):
        return _ops.clone(self)

    def contiguous(self):
        return self if self._data.flags.c_contiguous else _ops.clone(self)

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    # ------------------------------------------------------------ in-place (outside the graph)
    def _check_inplace(self):
        if self.requires_grad and _grad_state.enabled:
            raise RuntimeError("a tensor that requires grad is being used in an in-place operation; "
                               "wrap it in fastnn.no_grad() or use .data")

    def _check_value(self, value):
        # writing a tensor that requires grad into this one would silently drop its gradient
        if _grad_state.enabled and isinstance(value, Tensor) and value.requires_grad:
            raise RuntimeError("in-place write of a tensor that requires grad is not differentiable in fastnn; "
                               "build the result out of place (fastnn.cat/stack/where) or wrap it in no_grad()")

    def _inplace(self, fn, other):
        from .ops._declare import ufunc_in_place
        ufunc = getattr(fn, "inplace_ufunc", None)
        if ufunc is not None and ufunc_in_place(self, ufunc, other):
            return self
        in_graph = _grad_state.enabled and (
            (self.requires_grad and self._ctx is not None) or (isinstance(other, Tensor) and other.requires_grad))
        if in_graph and not (self.requires_grad and self._ctx is None):
            return fn(self, other)  # out of place in the graph: `x += y` rebinds x
        self._check_inplace()
        o = other._data if isinstance(other, Tensor) else other
        res = fn(_wrap(self._data), _wrap(o) if isinstance(o, np.ndarray) else o)._data
        np.copyto(self._data, res, casting="same_kind")
        return self

    def __iadd__(self, other):
        return self._inplace(_ops.add, other)

    def __isub__(self, other):
        return self._inplace(_ops.sub, other)

    def __imul__(self, other):
        return self._inplace(_ops.mul, other)

    def __itruediv__(self, other):
        return self._inplace(_ops.div, other)

    # fill_, zero_ and copy_ are declared in ops/fills.py (in-place ops with autograd)

    def uniform_(self, a=0.0, b=1.0):
        from .random import generator
        self._check_inplace()
        self._data[...] = generator().uniform(a, b, self._data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from .random import generator
        self._check_inplace()
        self._data[...] = generator().normal(mean, std, self._data.shape)
        return self

    def __setitem__(self, key, value):
        self._check_inplace()
        self._check_value(value)
        v = value._data if isinstance(value, Tensor) else value
        self._data[_ops.index_key(key)] = v

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.rsub(self, other)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.rdiv(self, other)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.rpow(self, other)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(_as_tensor_like(other, self), self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __getitem__(self, key):
        return _ops.getitem(self, key)

    @property
    def T(self):
        return _ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices, got {self.ndim}-D")
        return _ops.transpose(self, -2, -1)


def _wrap(array, ctx=None, idx=0):
    """Tensor around an ndarray the caller vouches for (supported dtype), skipping validation."""
    t = Tensor.__new__(Tensor)
    t._data = array
    t.grad = None
    t._ctx = ctx
    t._idx = idx
    t.requires_grad = ctx is not None
    return t


def _engine():
    """The autograd engine module (imported on first use: it builds on this one); a global read, not an import
    statement per backward() call, which costs a small model's step about a microsecond."""
    global _ENGINE
    if _ENGINE is None:
        from . import engine as _ENGINE
    return _ENGINE


_ENGINE = None


def _norm_dim(dim, ndim):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


def _as_tensor_like(x, ref):
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x, dtype=ref.dtype))


from . import ops as _ops  # noqa: E402  (ops build on Tensor and Function)
_ops.install_methods(Tensor)
