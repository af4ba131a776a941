"""Structural ops: tril/triu, diag/diagonal, roll, rot90, narrow/select, movedim, meshgrid,
cartesian_prod, repeat_interleave, the stack family. Most compose differentiable primitives."""
import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare
from ._util import _one_dim, norm_dims
from .indexing import getitem, index_select
from .shape import reshape, stack, cat, flip, transpose, expand, permute


class _Tri(Function):
    @staticmethod
    def forward(ctx, a, k, upper):
        ctx.meta = (k, upper)
        return np.triu(a, k) if upper else np.tril(a, k)

    @staticmethod
    def backward(ctx, g):
        k, upper = ctx.meta
        return (np.triu(g, k) if upper else np.tril(g, k)), None, None


def _tri(input, diagonal, upper, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return _Tri.apply(input, int(diagonal), upper)


@declare(inplace=True, out=True)
def tril(input, diagonal=0):
    return _tri(input, diagonal, False, "tril")


@declare(inplace=True, out=True)
def triu(input, diagonal=0):
    return _tri(input, diagonal, True, "triu")


class _Diagonal(Function):
    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.meta = (a.shape, offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.meta
        out = np.zeros(shape, g.dtype)
        view = np.moveaxis(out, (d1, d2), (-2, -1))
        n = g.shape[-1]
        r = np.arange(n) + max(-offset, 0)
        c = np.arange(n) + max(offset, 0)
        view[..., r, c] = g
        return out, None, None, None


@declare(method=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _one_dim(dim1, input.ndim), _one_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _Diagonal.apply(input, int(offset), d1, d2)


class _DiagEmbed(Function):
    """Vectors on the offset diagonal of (n, n) matrices over the last dim: the adjoint of taking a diagonal."""
    @staticmethod
    def forward(ctx, a, offset):
        k = a.shape[-1]
        n = k + abs(offset)
        rows, cols = np.arange(k) + max(-offset, 0), np.arange(k) + max(offset, 0)
        out = np.zeros(a.shape[:-1] + (n, n), a.dtype)
        out[..., rows, cols] = a
        ctx.meta = (rows, cols)
        return out

    @staticmethod
    def backward(ctx, g):
        rows, cols = ctx.meta
        return g[..., rows, cols], None


@declare(method=True)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    out_nd = input.ndim + 1
    d1, d2 = _one_dim(dim1, out_nd), _one_dim(dim2, out_nd)
    res = _DiagEmbed.apply(input, int(offset))   # (..., n, n): O(n^2), not the O(n^3) of an einsum with eye
    rest = [a for a in range(out_nd) if a not in (d1, d2)]
    order = [0] * out_nd
    for src, dst in zip(range(out_nd - 2), rest):
        order[dst] = src
    order[d1], order[d2] = out_nd - 2, out_nd - 1
    return permute(res, tuple(order))


@declare(out=True)
def diag(input, diagonal=0):
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return _Diagonal.apply(input, int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@declare(out=True)
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _Diagonal.apply(input, 0, 0, 1).sum()


@declare()
def diagflat(input, offset=0):
    return diag(input.reshape(-1), offset)


class _Roll(Function):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.meta = (shifts, dims)
        return np.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        shifts, dims = ctx.meta
        return np.roll(g, tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts, dims), None, None


@declare()
def roll(input, shifts, dims=None):
    if dims is None:
        s = shifts if isinstance(shifts, int) else tuple(shifts)
        if isinstance(s, tuple) and len(s) != 1:
            raise RuntimeError("roll: shifts must have one element when dims is not given")
        return _Roll.apply(input.reshape(-1), s if isinstance(s, int) else s[0], None).reshape(input.shape)
    s = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    d = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(s) != len(d):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(s)}, dims: {len(d)}")
    return _Roll.apply(input, s, tuple(_one_dim(x, input.ndim) for x in d))


@declare()
def rot90(input, k=1, dims=(0, 1)):
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = _one_dim(dims[0], input.ndim), _one_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    return input.clone()


@declare()
def narrow(input, dim, start, length):
    d = _one_dim(dim, input.ndim)
    start = int(start)
    n = input.shape[d]
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        from ._declare import ArgumentError
        raise ArgumentError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    key = [slice(None)] * input.ndim
    key[d] = slice(start, start + length)
    return getitem(input, tuple(key))


@declare()
def select(input, dim, index):
    d = _one_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(input.shape)} at dimension {d}")
    key = [slice(None)] * input.ndim
    key[d] = int(index)
    return getitem(input, tuple(key))


@declare(aliases=("moveaxis",))
def movedim(input, source, destination):
    src = norm_dims(source, input.ndim)
    dst = norm_dims(destination, input.ndim)
    if len(src) != len(dst):
        raise RuntimeError("movedim: Invalid source or destination dims")
    order = [i for i in range(input.ndim) if i not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(input, tuple(order))


@declare(method=True)
def ravel(input):
    return reshape(input.contiguous(), (-1,))


@declare(method=False)
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    ts = list(tensors)
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    ts = [t.reshape(-1) for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        out.append(expand(reshape(t, tuple(view)), shape))
    if indexing == "xy" and len(ts) >= 2:  # the grids of (y, x, ...), returned in the callers' order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


@declare(method=False)
def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


@declare()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats): arange(len) repeated
        reps = input._data
        return _wrap(np.repeat(np.arange(len(reps)), reps).astype(np.int64))
    r = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if (r < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _one_dim(dim, input.ndim)
    n = x.shape[d]
    if r.ndim == 1 and r.shape[0] not in (1, n):
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, got {r.shape[0]}")
    idx = np.repeat(np.arange(n), r.reshape(-1) if r.ndim else int(r))
    return index_select(x, d, _wrap(idx.astype(np.int64)))


@declare(method=False, out=True)
def hstack(tensors):
    ts = [t if t.ndim else t.reshape(1) for t in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@declare(method=False, out=True, aliases=("row_stack",))
def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


@declare(method=False, out=True)
def dstack(tensors):
    return cat([atleast_3d(t) for t in tensors], 2)


@declare(method=False, out=True)
def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


@declare(method=False)
def atleast_1d(*tensors):
    r = [t.reshape(1) if t.ndim == 0 else t for t in _tensors(tensors)]
    return r[0] if len(r) == 1 else tuple(r)


@declare(method=False)
def atleast_2d(*tensors):
    r = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in _tensors(tensors)]
    return r[0] if len(r) == 1 else tuple(r)


@declare(method=False)
def atleast_3d(*tensors):
    def one(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t
    r = [one(t) for t in _tensors(tensors)]
    return r[0] if len(r) == 1 else tuple(r)


def _tensors(args):
    return list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)


@declare()
def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return input.repeat(*dims)


@declare(method=False)
def block_diag(*tensors):
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    cols = sum(t.shape[1] for t in ts)
    rows, c = [], 0
    for t in ts:
        left = _wrap(np.zeros((t.shape[0], c), t.dtype))
        right = _wrap(np.zeros((t.shape[0], cols - c - t.shape[1]), t.dtype))
        rows.append(cat([left, t, right], 1))
        c += t.shape[1]
    return cat(rows, 0)


@declare(method=True)
def fliplr(input):
    return flip(input, (1,))


@declare(method=True)
def flipud(input):
    return flip(input, (0,))
