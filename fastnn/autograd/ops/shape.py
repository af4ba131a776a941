"""Differentiable reshaping: reshape/view, permute/transpose, expand, squeeze, cat, stack, ..."""
import numpy as np

from ..function import Function
from ..tensor import Tensor
from ._util import norm_dims, _one_dim
from ._declare import ShapeError


def _sizes(args):
    """Accept f(2, 3) and f((2, 3)) alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(np.argsort(ctx.dims)), None


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        from ._util import unbroadcast
        return unbroadcast(g, ctx.shape), None


class Repeat(Function):
    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape = a.shape
        ctx.reps = reps
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, g):
        shape = (1,) * (len(ctx.reps) - len(ctx.shape)) + ctx.shape
        split = []
        for r, s in zip(ctx.reps, shape):
            split.extend((r, s))
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape), None


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None, *np.split(g, ctx.bounds, axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None, *[np.take(g, i, axis=ctx.dim) for i in range(g.shape[ctx.dim])])


def _target_shape(shape):
    """A reshape/view target as PyTorch checks it: ints, each >= -1, at most one -1."""
    for i, d in enumerate(shape):
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"shape must be a sequence of ints, got {d!r} at index {i} of {list(shape)}")
        if d < -1:
            raise ShapeError(f"invalid shape dimension {d} at index {i} of shape {list(shape)}")
    if sum(1 for d in shape if d == -1) > 1:
        raise ShapeError(f"only one dimension can be inferred, got shape {list(shape)}")
    return tuple(int(d) for d in shape)


def reshape(a, *shape):
    shape = _target_shape(_sizes(shape))
    try:
        return Reshape.apply(a, shape)
    except ValueError:
        raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {a.numel()}") from None


def view(a, *shape):
    return reshape(a, *shape)


def view_as(a, other):
    return reshape(a, other.shape)


def reshape_as(a, other):
    return reshape(a, other.shape)


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return reshape(a, (1,))
    s = _one_dim(start_dim, a.ndim)
    e = _one_dim(end_dim, a.ndim)
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = a.shape[:s] + (-1 if a.numel() else int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:]
    return reshape(a, shape)


def unflatten(a, dim, sizes):
    d = _one_dim(dim, a.ndim)
    return reshape(a, a.shape[:d] + tuple(sizes) + a.shape[d + 1:])


def permute(a, *dims):
    dims = _sizes(dims)
    if len(dims) != a.ndim:
        raise ShapeError(f"permute: dims {dims} must name each of the {a.ndim} dimensions once")
    dims = norm_dims(dims, a.ndim)
    return Permute.apply(a, dims)


def transpose(a, dim0, dim1):
    if a.ndim < 2 and a.ndim == 0:
        return a
    d0, d1 = _one_dim(dim0, a.ndim), _one_dim(dim1, a.ndim)
    dims = list(range(a.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(a, tuple(dims))


def t(a):
    if a.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, got {a.ndim}")
    return a if a.ndim < 2 else transpose(a, 0, 1)


def squeeze(a, dim=None):
    if dim is None:
        return reshape(a, tuple(s for s in a.shape if s != 1))
    dims = norm_dims(dim, a.ndim)
    return reshape(a, tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


def unsqueeze(a, dim):
    d = _one_dim(dim, a.ndim + 1)
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def expand(a, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < a.ndim:
        raise ShapeError(f"expand: the number of sizes ({len(sizes)}) is smaller than the number of dimensions ({a.ndim})")
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i in range(a.ndim):
        if a.shape[i] != 1 and a.shape[i] != shape[lead + i]:
            raise ShapeError(f"expand: size {a.shape[i]} at dim {i} cannot expand to {shape[lead + i]}")
    return Expand.apply(a, shape)


def expand_as(a, other):
    return expand(a, other.shape)


def broadcast_to(a, shape):
    return expand(a, shape)


def repeat(a, *reps):
    reps = _sizes(reps)
    if len(reps) < a.ndim:
        raise ShapeError("repeat: number of repeats must be at least the number of dimensions")
    return Repeat.apply(a, reps)


def _check_tensors(tensors, fname):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{fname} expects a non-empty sequence of tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fname}: element {i} of tensors is {type(x).__name__}, not a Tensor")
    return tensors


def cat(tensors, dim=0):
    tensors = _check_tensors(tensors, "cat")
    # PyTorch skips legacy empty 1-D tensors in cat
    tensors = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    d = _one_dim(dim, ref.ndim)
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim or x.shape[:d] + x.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ShapeError(f"cat: tensor {i} has shape {tuple(x.shape)}, which does not match {tuple(ref.shape)} outside dim {d}")
    return Cat.apply(d, *tensors)


concat = cat


def concatenate(tensors, axis=0, *, dim=None):
    """NumPy's spelling of cat: PyTorch documents axis= (and takes dim= too)."""
    return cat(tensors, axis if dim is None else dim)


def stack(tensors, dim=0):
    tensors = _check_tensors(tensors, "stack")
    ref = tensors[0]
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise ShapeError(f"stack expects each tensor to be equal size, but got {tuple(ref.shape)} at entry 0 and {tuple(x.shape)} at entry {i}")
    d = _one_dim(dim, ref.ndim + 1)
    return Stack.apply(d, *tensors)


def chunk(a, chunks, dim=0):
    d = _one_dim(dim, a.ndim)
    n = a.shape[d]
    size = -(-n // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
    return split(a, size, d) if size else (a,)


def split(a, split_size_or_sections, dim=0):
    d = _one_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ShapeError(f"split: split_size must be positive, got {size}")
        sections = [min(size, n - s) for s in range(0, n, size)]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != n:
            raise ShapeError(f"split: sections {sections} do not add up to {n}")
    out = []
    start = 0
    index = [slice(None)] * a.ndim
    for s in sections:
        index[d] = slice(start, start + s)
        out.append(a[tuple(index)])
        start += s
    return tuple(out)


def unbind(a, dim=0):
    d = _one_dim(dim, a.ndim)
    index = [slice(None)] * a.ndim
    out = []
    for i in range(a.shape[d]):
        index[d] = i
        out.append(a[tuple(index)])
    return tuple(out)


def flip(a, dims):
    from .indexing import getitem
    dims = norm_dims(dims, a.ndim)
    index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(a.ndim))
    return getitem(a, index)
