"""Splitting, windows and scatter-into-slice ops: tensor_split and friends, unfold, *_scatter,
broadcast_tensors, unravel_index, sum_to_size. They compose differentiable primitives."""
import numpy as np

from ..tensor import Tensor, _wrap
from ._declare import declare, ShapeError, ArgumentError
from ._util import _one_dim
from .indexing import getitem, where
from .shape import split, chunk, expand, reshape


@declare()
def tensor_split(input, indices_or_sections, dim=0):
    d = _one_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist()
    if isinstance(ios, int):
        if ios <= 0:
            raise ArgumentError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        sizes = [q + 1] * r + [q] * (ios - r)
        bounds = np.cumsum([0] + sizes)
    else:
        bounds = [0] + [min(max(int(i), 0), n) for i in ios] + [n]
    out = []
    key = [slice(None)] * input.ndim
    for a, b in zip(bounds[:-1], bounds[1:]):
        key[d] = slice(int(a), max(int(a), int(b)))
        out.append(getitem(input, tuple(key)))
    return tuple(out)


def _nsplit(input, ios, dim, name, min_dim):
    if input.ndim < min_dim:
        raise ArgumentError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor "
                            f"with {input.ndim} dimensions!")
    if isinstance(ios, int) and input.shape[dim] % ios:
        raise ArgumentError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                            f"{input.shape[dim]} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


@declare()
def hsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


@declare()
def vsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


@declare()
def dsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


@declare()
def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


declare(split, name="unsafe_split")
declare(chunk, name="unsafe_chunk")
declare(split_with_sizes, name="unsafe_split_with_sizes")


def _scatter_into(input, src, key):
    """input with input[key] replaced by src, differentiable to both (a mask and a padded src)."""
    mask = np.zeros(input.shape, bool)
    mask[key] = True
    from .tensor_methods import index_put
    placed = index_put(_wrap(np.zeros(input.shape, input.dtype)), _key_tensors(input.shape, key), src.reshape(-1))
    return where(_wrap(mask), placed, input)


def _key_tensors(shape, key):
    grid = np.indices(shape)
    return tuple(_wrap(g[key].reshape(-1)) for g in grid)


@declare()
def select_scatter(input, src, dim, index):
    d = _one_dim(dim, input.ndim)
    key = [slice(None)] * input.ndim
    key[d] = int(index)
    expect = input.shape[:d] + input.shape[d + 1:]
    if tuple(src.shape) != expect:
        raise ShapeError(f"select_scatter: expected src to have a size equal to the slice of self. src size = "
                         f"{list(src.shape)}, slice size = {list(expect)}")
    return _scatter_into(input, src, tuple(key))


@declare()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    d = _one_dim(dim, input.ndim)
    key = [slice(None)] * input.ndim
    key[d] = slice(start, end, step)
    expect = np.empty(input.shape, bool)[tuple(key)].shape
    if tuple(src.shape) != expect:
        raise ShapeError(f"slice_scatter: expected src to have a size equal to the slice of self. src size = "
                         f"{list(src.shape)}, slice size = {list(expect)}")
    return _scatter_into(input, src, tuple(key))


@declare()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    d1, d2 = _one_dim(dim1, input.ndim), _one_dim(dim2, input.ndim)
    idx = np.indices(input.shape)
    diag_mask = (idx[d2] - idx[d1]) == offset
    expect = np.diagonal(np.empty(input.shape), offset, d1, d2).shape
    if tuple(src.shape) != expect:
        raise ShapeError(f"diagonal_scatter: expected src to have a size equal to the diagonal of self. src size = "
                         f"{list(src.shape)}, diagonal size = {list(expect)}")
    # positions of the diagonal in the order np.diagonal reads them (other dims first, then the diagonal)
    pos = [np.moveaxis(np.diagonal(g, offset, d1, d2), -1, -1).reshape(-1) for g in idx]
    from .tensor_methods import index_put
    placed = index_put(_wrap(np.zeros(input.shape, input.dtype)), tuple(_wrap(p) for p in pos), src.reshape(-1))
    return where(_wrap(diag_mask), placed, input)


@declare(torch=False)
def unfold(input, dimension, size, step):
    """Sliding windows of `size` every `step` along `dimension`, as a new last dim (Tensor.unfold)."""
    d = _one_dim(dimension, input.ndim) if input.ndim else 0
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise ArgumentError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise ArgumentError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    idx = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    from .indexing import index_select
    x = input.reshape(1) if input.ndim == 0 else input
    picked = index_select(x, d, _wrap(idx.astype(np.int64)))
    shape = x.shape[:d] + (count, size) + x.shape[d + 1:]
    return reshape(picked, shape).movedim(d + 1, -1)


@declare(method=False)
def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


@declare(method=False)
def broadcast_shapes(*shapes):
    try:
        return tuple(np.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s) for s in shapes)))
    except ValueError as err:
        raise ShapeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {err}") from None


@declare(method=False)
def unravel_index(indices, shape):
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype")
    total = int(np.prod(shape))
    if idx.size and (idx.min() < -total or idx.max() >= total):
        raise ArgumentError("'indices' must be in range [-prod(shape), prod(shape))")
    return tuple(_wrap(a.astype(np.int64)) for a in np.unravel_index(idx % max(total, 1), tuple(shape)))


@declare()
def narrow_copy(input, dim, start, length):
    return input.narrow(dim, start, length).clone()


@declare(torch=False)
def sum_to_size(input, *size):
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    try:
        if np.broadcast_shapes(size, input.shape) != tuple(input.shape):
            raise ValueError
    except ValueError:
        raise ShapeError(f"size {{{list(size)}}} is not expandable to size {{{list(input.shape)}}}.") from None
    lead = input.ndim - len(size)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and input.shape[lead + i] != 1)
    from .reductions import sum as _sum
    r = _sum(input, dims, keepdim=True) if dims else input
    return reshape(r, size)


@declare(torch=True)
def argwhere(input):
    from .indexing import nonzero
    return nonzero(input)


@declare(torch=True)
def adjoint(input):
    return input.transpose(-2, -1)


@declare(method=False)
def combinations(input, r=2, with_replacement=False):
    import itertools
    if input.ndim != 1:
        raise ArgumentError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    n = input.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(n), r)), np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return _wrap(np.empty((0,) if r != 1 else (0,), input.dtype))
    return getitem(input, _wrap(idx))

