"""Tensor methods that are not computations: new_* factories, pin_memory, resize_, to_sparse, ..."""
import numpy as np

from ..tensor import Tensor, _wrap
from ..dtypes import canonical_dtype, as_supported_array
from ..grad_mode import state as _grad_state
from ...device import check_cpu
from ..function import Function
from ._declare import declare
from ._util import unbroadcast


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise TypeError(f"size must be a tuple of non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _new(self, array, dtype, device, requires_grad):
    check_cpu(device)
    t = _wrap(array.astype(self.dtype if dtype is None else canonical_dtype(dtype), copy=False))
    if requires_grad:
        t.requires_grad_(True)
    return t


@declare(torch=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return _new(self, np.zeros(_size(size), self.dtype), dtype, device, requires_grad)


@declare(torch=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return _new(self, np.ones(_size(size), self.dtype), dtype, device, requires_grad)


@declare(torch=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return _new(self, np.empty(_size(size), self.dtype), dtype, device, requires_grad)


@declare(torch=False)
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _new(self, np.full(_size((size,)), fill_value, self.dtype if dtype is None else canonical_dtype(dtype)),
                dtype, device, requires_grad)


@declare(torch=False)
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(data, Tensor):
        data = data._data
    arr = as_supported_array(data, self.dtype if dtype is None else dtype, copy=True)
    return _new(self, arr, None, device, requires_grad)


@declare(torch=False)
def pin_memory(self, device=None):
    """A copy, as PyTorch makes one; there is no device memory to pin on the CPU."""
    return _wrap(self._data.copy())


@declare(torch=False)
def is_pinned(self, device=None):
    return False


@declare(torch=False)
def resize_(self, *sizes, memory_format=None):
    """Resize in place: kept elements keep their (flattened) order; new ones are zero, not garbage."""
    shape = _size(sizes)
    if _grad_state.enabled and self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    n = int(np.prod(shape))
    flat = np.ascontiguousarray(self._data).reshape(-1)
    if n <= flat.size and self._data.flags.c_contiguous:
        self._data = flat[:n].reshape(shape)
    else:
        new = np.zeros(n, self.dtype)
        new[:min(n, flat.size)] = flat[:n]
        self._data = new.reshape(shape)
    return self


@declare(torch=False)
def resize_as_(self, other, memory_format=None):
    return resize_(self, tuple(other.shape))


@declare(torch=False)
def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    from ...sparse_coo import to_sparse_coo
    # every dim sparse (no hybrid tensors) and COO or CSR: say so rather than ignore the request
    if sparse_dim not in (None, self.ndim) or dense_dim not in (None, 0) or blocksize is not None:
        raise NotImplementedError(f"to_sparse: only all dims sparse ({self.ndim}) without blocks, got "
                                  f"sparse_dim={sparse_dim}, dense_dim={dense_dim}, blocksize={blocksize}")
    if layout is not None and layout.name == "sparse_csr":
        return to_sparse_csr(self)
    if layout is not None and layout.name == "strided":  # PyTorch gives the dense tensor back
        return self
    if layout is not None and layout.name != "sparse_coo":
        raise NotImplementedError(f"to_sparse: layout {layout} is not supported")
    return to_sparse_coo(self)


@declare(torch=False)
def to_sparse_csr(self, dense_dim=None):
    from ...sparse_coo import dense_to_csr
    if dense_dim not in (None, 0):
        raise NotImplementedError(f"to_sparse_csr: hybrid tensors (dense_dim={dense_dim}) are not supported")
    return dense_to_csr(self)


@declare(torch=False)
def to_sparse_coo(self):
    return to_sparse(self)


@declare(torch=False)
def resize_as(self, other):
    """The deprecated out-of-place resize_as: a reshape to other's shape (same number of elements)."""
    return self.reshape(tuple(other.shape))


@declare(torch=False)
def is_set_to(self, tensor):
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.shape == b.shape
            and a.strides == b.strides and a.dtype == b.dtype)


@declare(torch=False)
def dim_order(self, *, ambiguity_check=False):
    """Dims from outermost to innermost in memory (largest stride first; ties keep dim order)."""
    st = self._data.strides
    return tuple(sorted(range(self.ndim), key=lambda d: -st[d]))


@declare(torch=False)
def new(self, *args, device=None):
    """The legacy Tensor.new: new(sizes...) is an empty tensor of self's dtype, new(data) copies data."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return new_tensor(self, args[0], device=device)
    return new_empty(self, *args, device=device)


@declare(torch=False)
def to_dense(self, dtype=None, *, masked_grad=None):
    return self if dtype is None else self.to(dtype)


@declare(torch=False)
def data_ptr(self):
    return self._data.__array_interface__["data"][0]


@declare(torch=False)
def stride(self, dim=None):
    st = tuple(s // self._data.itemsize for s in self._data.strides)
    return st if dim is None else st[dim % max(self.ndim, 1)]


@declare(torch=False)
def storage_offset(self):
    # elements from the start of the array that owns the memory (a view's offset, as PyTorch's)
    root = self._data
    while isinstance(root.base, np.ndarray):
        root = root.base
    start = self._data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return start // self._data.itemsize if self._data.size else 0


@declare(torch=False)
def get_device(self):
    return -1


@declare(torch=False)
def apply_(self, callable):
    if _grad_state.enabled and self.requires_grad:
        raise RuntimeError("apply_ is only implemented on tensors that don't require grad")
    flat = self._data.reshape(-1)
    for i, v in enumerate(flat.tolist()):
        flat[i] = callable(v)
    return self


@declare(torch=False)
def map_(self, tensor, callable):
    other = np.broadcast_to(tensor._data, self.shape)
    for idx in np.ndindex(self.shape):
        self._data[idx] = callable(self._data[idx].item(), other[idx].item())
    return self


@declare(torch=False)
def index_put_(self, indices, values, accumulate=False):
    from .indexing import index_key
    key = index_key(tuple(indices))
    if _grad_state.enabled and (self.requires_grad or (isinstance(values, Tensor) and values.requires_grad)):
        raise RuntimeError("index_put_ on tensors in the autograd graph is not supported; use index_put")
    v = values._data if isinstance(values, Tensor) else values
    if accumulate:
        np.add.at(self._data, key, v)
    else:
        self._data[key] = v
    return self


class _IndexPut(Function):
    @staticmethod
    def forward(ctx, a, v, key, accumulate):
        out = a.copy()
        if accumulate:
            np.add.at(out, key, v)
        else:
            out[key] = v
        ctx.meta = (key, accumulate, np.shape(v))
        return out

    @staticmethod
    def backward(ctx, g):
        key, accumulate, vshape = ctx.meta
        ga = gv = None
        if ctx.needs_input_grad[0]:
            ga = g if accumulate else g.copy()
            if not accumulate:
                ga[key] = 0
        if ctx.needs_input_grad[1]:
            gv = unbroadcast(np.asarray(g[key]), vshape)
        return ga, gv, None, None


@declare(torch=True)
def index_put(input, indices, values, accumulate=False):
    from .indexing import index_key
    key = index_key(tuple(indices))
    if not isinstance(values, Tensor):
        values = _wrap(np.asarray(values, input.dtype))
    if values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {input.dtype} for the "
                           f"destination and {values.dtype} for the source.")
    return _IndexPut.apply(input, values, key, bool(accumulate))


# fill_diagonal_ is declared in fills.py (an in-place op with autograd)


@declare(torch=False)
def exponential_(self, lambd=1.0, *, generator=None):
    from ..random import generator as gen
    self._data[...] = gen(generator).exponential(1.0 / lambd, self.shape)
    return self


@declare(torch=False)
def bernoulli_(self, p=0.5, *, generator=None):
    from ..random import generator as gen
    pr = p._data if isinstance(p, Tensor) else p
    self._data[...] = gen(generator).random(self.shape) < pr
    return self


@declare(torch=False)
def random_(self, from_=0, to=None, *, generator=None):
    from ..random import generator as gen
    lo, hi = (0, from_) if to is None and from_ else (from_, to)
    if hi is None:
        hi = 2 ** 24 + 1 if self.dtype.kind == "f" else np.iinfo(self.dtype).max
    self._data[...] = gen(generator).integers(lo, hi, self.shape)
    return self


@declare(torch=False)
def geometric_(self, p, *, generator=None):
    from ..random import generator as gen
    self._data[...] = gen(generator).geometric(p, self.shape)
    return self


@declare(torch=False)
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    from ..random import generator as gen
    self._data[...] = gen(generator).lognormal(mean, std, self.shape)
    return self


@declare(torch=False)
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    from ..random import generator as gen
    self._data[...] = median + sigma * gen(generator).standard_cauchy(self.shape)
    return self


@declare(torch=False)
def resize(self, *sizes):
    """The deprecated out-of-place resize: a reshape to the same number of elements."""
    return self.reshape(_size(sizes))


@declare(torch=False)
def ndimension(self):
    return self.ndim


@declare(torch=False)
def is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


@declare(torch=True)
def is_signed(self):
    return self.dtype.kind in "if"


@declare(torch=True)
def is_inference(self):
    return False


@declare(torch=False)
def multinomial(self, num_samples, replacement=False, *, generator=None):
    from ...creation import multinomial as _multinomial
    return _multinomial(self, num_samples, replacement, generator=generator)


@declare(torch=False)
def bernoulli(self, p=None, *, generator=None):
    from ...creation import bernoulli as _bernoulli
    return _bernoulli(self, p, generator=generator)


@declare(torch=False)
def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                      pin_memory=False):
    from ...creation import empty_strided
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype, device=device,
                         requires_grad=requires_grad)


@declare(torch=True, inplace="view")
def as_strided(input, size, stride, storage_offset=None):
    """A view with the given element strides over input's memory (no gradient)."""
    if input.requires_grad and _grad_state.enabled:
        raise NotImplementedError("as_strided: gradients are not supported in fastnn; use unfold or indexing")
    base = input._data if input._data.flags.c_contiguous else np.ascontiguousarray(input._data)
    off = 0 if storage_offset is None else int(storage_offset)
    size, stride = tuple(size), tuple(stride)
    last = off + sum((s - 1) * st for s, st in zip(size, stride) if s > 0)
    if last >= base.size and all(s > 0 for s in size):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)} and storage offset {off} "
                           f"require more storage than the tensor has ({base.size} elements)")
    flat = base.reshape(-1)[off:]
    return _wrap(np.lib.stride_tricks.as_strided(flat, size, tuple(s * base.itemsize for s in stride)))


def _is_nonzero(self):
    if self.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item())


declare(_is_nonzero, name="is_nonzero", torch=False)

class layout:
    """torch.layout: how a tensor's elements are stored (strided here; sparse_coo/sparse_csr for the sparse types)."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


strided, sparse_coo, sparse_csr = layout("strided"), layout("sparse_coo"), layout("sparse_csr")

# properties: what PyTorch exposes as attributes rather than calls
PROPERTIES = {
    "H": property(lambda self: self.t() if self.ndim <= 2 else _raise_h(self)),
    "mH": property(lambda self: self.mT),
    "itemsize": property(lambda self: self._data.itemsize),
    "nbytes": property(lambda self: self._data.nbytes),
    "layout": property(lambda self: strided),
    "is_sparse": property(lambda self: False),
    "is_cpu": property(lambda self: True),
    "is_meta": property(lambda self: False),
    "is_xpu": property(lambda self: False),   # other accelerators' flags, as scripts test them beside is_cuda
    "is_mps": property(lambda self: False),
    "is_ipu": property(lambda self: False),
    "is_xla": property(lambda self: False),
    "is_mkldnn": property(lambda self: False),
    "is_sparse_csr": property(lambda self: False),
    "is_quantized": property(lambda self: False),
    "output_nr": property(lambda self: self._idx),
    "retains_grad": property(lambda self: self._ctx is not None and any(
        t is self for _, t in (getattr(self._ctx, "retained", None) or ()))),
}


def _raise_h(self):
    raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.")
