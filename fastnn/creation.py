"""Tensor factories: tensor, from_numpy, zeros/ones/full/empty(_like), arange, linspace, eye, rand*."""
import numpy as np

from .device import check_cpu
from .autograd.tensor import Tensor, _wrap
from .autograd.dtypes import canonical_dtype, as_supported_array, default_float, int64, is_supported, supported_names
from .autograd.random import generator as _generator


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if len(size) == 1 and isinstance(size[0], Tensor):  # a shape given as a 1-D tensor
        size = tuple(size[0].tolist())
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"size must be a tuple of ints, got {size}")
        if s < 0:
            from .autograd.ops._declare import ArgumentError
            raise ArgumentError(f"Dimension size must be non-negative, got {size}")
    return tuple(int(s) for s in size)


def _dtype(dtype, default=None):
    if dtype is None:
        return default_float() if default is None else default
    return canonical_dtype(dtype)


def _factory_args(device, layout, pin_memory):
    check_cpu(device)
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"layout {layout!r} is not supported by this factory; use fastnn.sparse_coo_tensor")
    if pin_memory:
        raise RuntimeError("pin_memory=True needs an accelerator; there is none on the CPU")


def _size_kw(kw):
    """PyTorch factories also take size=...; any other unknown keyword is an error, not ignored."""
    size = kw.pop("size", None)
    if kw:
        raise TypeError(f"got unexpected keyword arguments {sorted(kw)}")
    return size


def _write_out(out, res):
    from .autograd.ops._declare import write_out
    return write_out(out, res)


def _sizes_kw(size, kw_size):
    if kw_size is not None:
        if size:
            raise TypeError("size given both positionally and as a keyword")
        return (kw_size,)
    return size


def _make(array, requires_grad):
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor copying `data` (nested lists, scalars, ndarrays or tensors)."""
    check_cpu(device)
    if isinstance(data, Tensor):
        data = data._data
    return _make(as_supported_array(data, dtype, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array of a supported dtype."""
    check_cpu(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _wrap(as_supported_array(data, dtype))


def from_numpy(array):
    """A tensor sharing memory with `array` (any dtype fastnn supports: float, int, uint8, bool)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if not is_supported(array.dtype):
        raise TypeError(f"can't convert np.ndarray of type {array.dtype}. The only supported types are: "
                        f"{supported_names()}")
    return _wrap(array)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kw):
    _factory_args(device, layout, pin_memory)
    res = _make(np.zeros(_shape(_sizes_kw(size, _size_kw(kw))), _dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kw):
    _factory_args(device, layout, pin_memory)
    res = _make(np.ones(_shape(_sizes_kw(size, _size_kw(kw))), _dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kw):
    _factory_args(device, layout, pin_memory)
    res = _make(np.empty(_shape(_sizes_kw(size, _size_kw(kw))), _dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    _factory_args(device, layout, pin_memory)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 int64 if isinstance(fill_value, (int, np.integer)) else default_float())
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    res = _make(np.full(_shape(size), fill_value, canonical_dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def _like(x, dtype):
    return x.dtype if dtype is None else canonical_dtype(dtype)


def zeros_like(x, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_cpu(device)
    return _make(np.zeros(x.shape, _like(x, dtype)), requires_grad)


def ones_like(x, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_cpu(device)
    return _make(np.ones(x.shape, _like(x, dtype)), requires_grad)


def empty_like(x, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_cpu(device)
    return _make(np.empty(x.shape, _like(x, dtype)), requires_grad)


def full_like(x, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_cpu(device)
    return _make(np.full(x.shape, fill_value, _like(x, dtype)), requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False):
    _factory_args(device, layout, pin_memory)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if end is None:
        start, end = 0, start
    if step == 0:
        from .autograd.ops._declare import ArgumentError
        raise ArgumentError("arange: step must be nonzero")
    values = (start, end, step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in values)
        dtype = int64 if is_int else default_float()
    dt = _dtype(dtype)
    if (end - start) * step < 0 and np.sign(end - start) != 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    # computed in float64 then cast, as PyTorch does, so float32 ranges hit the same end points
    res = _make(np.arange(start, end, step, dtype=np.float64 if dt.kind == "f" else None).astype(dt), requires_grad)
    return res if out is None else _write_out(out, res)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _factory_args(device, layout, False)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    res = _make(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    _factory_args(device, layout, False)
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    res = _make(np.logspace(start, end, steps, base=base).astype(_dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _factory_args(device, layout, pin_memory)
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def _random(draw, size, dtype, requires_grad, generator, device, layout, pin_memory, out=None):
    _factory_args(device, layout, pin_memory)
    dt = _dtype(dtype)
    res = _make(draw(_generator(generator), _shape(size)).astype(dt), requires_grad)
    return res if out is None else _write_out(out, res)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    return _random(lambda g, s: g.random(s), _sizes_kw(size, _size_kw(kw)), dtype, requires_grad, generator,
                   device, layout, pin_memory, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    return _random(lambda g, s: g.standard_normal(s), _sizes_kw(size, _size_kw(kw)), dtype, requires_grad,
                   generator, device, layout, pin_memory, out)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False, **kw):
    """randint(high, size) or randint(low, high, size): PyTorch's two overloads."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list, Tensor)) and not isinstance(args[-1], Tensor):
        size = args.pop()
    if "low" in kw or "high" in kw:
        args = [kw.pop("low", 0), kw.pop("high")] if "high" in kw else args + [kw.pop("low")]
    if kw:
        raise TypeError(f"randint() got unexpected keyword arguments {sorted(kw)}")
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"randint() takes high and size, or low, high and size; got {len(args)} positional numbers")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    _factory_args(device, layout, pin_memory)
    res = _make(_generator(generator).integers(low, high, _shape((tuple(size),))).astype(_dtype(dtype, int64)),
                requires_grad)
    return res if out is None else _write_out(out, res)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=_like(input, dtype), device=device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    _factory_args(device, layout, pin_memory)
    if n < 0:
        from .autograd.ops._declare import ArgumentError
        raise ArgumentError(f"randperm: n must be non-negative, got {n}")
    res = _make(_generator(generator).permutation(n).astype(_dtype(dtype, int64)), requires_grad)
    return res if out is None else _write_out(out, res)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """normal(mean, std, size) with numbers, or elementwise with tensor mean and/or std."""
    _factory_args(device, layout, pin_memory)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if np.any(np.asarray(s) < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        dt = (mean if isinstance(mean, Tensor) else std).dtype
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        res = _wrap(_generator(generator).normal(m, s, shape).astype(dt))
    else:
        if size is None:
            raise TypeError("normal() with number mean and std needs size")
        if s < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
        res = _make(_generator(generator).normal(m, s, _shape((tuple(size),))).astype(_dtype(dtype)), requires_grad)
    return res if out is None else _write_out(out, res)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._data if p is None else np.broadcast_to(np.asarray(p), input.shape)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("bernoulli expects all elements of p to be in [0, 1]")
    res = _wrap((_generator(generator).random(input.shape) < probs).astype(input.dtype))
    return res if out is None else _write_out(out, res)


def poisson(input, generator=None):
    return _wrap(_generator(generator).poisson(input._data).astype(input.dtype))


def multinomial(probs, num_samples, replacement=False, *, generator=None, out=None):
    """Sample indices from each row of non-negative weights."""
    p = np.asarray(probs._data, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    from .autograd.ops._declare import ArgumentError  # PyTorch raises RuntimeError for these
    if num_samples <= 0 or (not replacement and num_samples > rows.shape[1]):
        raise ArgumentError(f"multinomial: cannot sample {num_samples} of {rows.shape[1]} categories "
                            f"{'with' if replacement else 'without'} replacement")
    draws = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if not np.isfinite(total) or total <= 0 or (r < 0).any():
            raise ArgumentError("multinomial: probs must be non-negative, finite and not all zero")
        draws[i] = _generator(generator).choice(len(r), num_samples, replace=replacement, p=r / total)
    res = _wrap(draws.reshape(p.shape[:-1] + (num_samples,)))
    return res if out is None else _write_out(out, res)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _factory_args(device, layout, pin_memory)
    return _make(np.asarray(s, _dtype(dtype)), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor of `size` laid out with the given element strides (as PyTorch's)."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"empty_strided: strides must be non-negative, got {tuple(stride)}")
    t = empty(tuple(size), dtype=dtype, layout=layout, device=device, requires_grad=requires_grad,
              pin_memory=pin_memory)
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    buf = np.zeros(extent, t.dtype)
    t._data = np.lib.stride_tricks.as_strided(buf, tuple(size), tuple(s * buf.itemsize for s in stride))
    return t


def _tri_indices(fn, row, col, offset, dtype, device, layout):
    _factory_args(device, layout, False)
    r, c = fn(row, offset, col)
    return _wrap(np.stack([r, c]).astype(_dtype(dtype, int64)).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.tril_indices, row, col, offset, dtype, device, layout)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.triu_indices, row, col, offset, dtype, device, layout)


class _LegacyType(type):
    """torch.FloatTensor and friends: call them to build a tensor; isinstance checks the dtype."""
    def __call__(cls, *args, device=None):
        check_cpu(device)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            if isinstance(data, Tensor):
                if data.dtype != cls.dtype:
                    raise TypeError(f"expected {cls.__name__} (got {data.type()})")
                return data
            return _wrap(as_supported_array(data, cls.dtype, copy=True))
        return _wrap(np.zeros(_shape(args), cls.dtype))

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


def _legacy(name, dtype):
    return _LegacyType(name, (), {"dtype": dtype, "__doc__": f"torch.{name}: a {dtype} tensor (legacy constructor)."})


FloatTensor = _legacy("FloatTensor", np.dtype(np.float32))
DoubleTensor = _legacy("DoubleTensor", np.dtype(np.float64))
HalfTensor = _legacy("HalfTensor", np.dtype(np.float16))
LongTensor = _legacy("LongTensor", np.dtype(np.int64))
IntTensor = _legacy("IntTensor", np.dtype(np.int32))
ShortTensor = _legacy("ShortTensor", np.dtype(np.int16))
CharTensor = _legacy("CharTensor", np.dtype(np.int8))
ByteTensor = _legacy("ByteTensor", np.dtype(np.uint8))
BoolTensor = _legacy("BoolTensor", np.dtype(np.bool_))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Like as_tensor: shares a NumPy array's memory unless a copy or another dtype is asked for."""
    check_cpu(device)
    if isinstance(obj, Tensor):
        t = obj if dtype is None else obj.to(dtype)
        t = t.clone() if copy else t
    else:
        t = _wrap(as_supported_array(obj, dtype, copy=bool(copy)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    arr = np.frombuffer(buffer, dtype=canonical_dtype(dtype), count=count, offset=offset)
    return _make(arr, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):  # noqa: A001
    """The deprecated torch.range: includes end, default float dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        from .autograd.ops._declare import ArgumentError
        raise ArgumentError("step must be nonzero")
    n = int(np.floor((end - start) / step)) + 1
    return arange(start, start + n * step - step / 2 if n > 0 else start, step, out=out,
                  dtype=_dtype(dtype), layout=layout, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    if sorted(physical_layout) != list(__import__("builtins").range(len(size))):
        raise RuntimeError("physical_layout must be a permutation of the dimensions")
    # allocated in the physical order, seen in the logical one: strides as PyTorch's
    t = empty(tuple(size[i] for i in physical_layout), dtype=dtype, layout=layout, device=device,
              requires_grad=requires_grad, pin_memory=pin_memory)
    t._data = t._data.transpose(np.argsort(physical_layout))
    return t
