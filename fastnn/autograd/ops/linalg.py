"""Products and linear algebra: einsum, outer, dot, cross, addmm, baddbmm, tensordot, kron, and the
torch.linalg basics (norms, inv, det, slogdet, matrix_rank, matrix_power). Decompositions live in
linalg_decomp.py, solves and matrix functions in linalg_solve.py, LU in linalg_lu.py."""
import builtins
import string
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap
from ._declare import declare
from ._util import _one_dim, norm_dims
from .arithmetic import matmul, mul
from .reductions import sum as _sum, amax, amin
from .linalg_common import LinAlgError, _square  # noqa: F401  (LinAlgError is re-exported)
from .linalg_decomp import svdvals

# ---------------------------------------------------------------- einsum
_LETTERS = string.ascii_letters


def _parse(equation, shapes):
    """Explicit subscripts for each operand and the output, with '...' expanded to letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum(): {len(ins)} operands in the equation, {len(shapes)} given")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    nell = builtins.max([len(s) - (len(t) - 3) for t, s in zip(ins, shapes) if "..." in t] or [0])
    ell = "".join(free[:nell])
    out_in = []
    for t, s in zip(ins, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[nell - k:])
        if len(t) != len(s):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({len(s)}) for operand")
        out_in.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(out_in)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return out_in, out


class _Einsum(Function):
    @staticmethod
    def forward(ctx, subs, out, *arrays):
        ctx.meta = (subs, out)
        ctx.save_for_backward(*arrays)
        return np.asarray(np.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx, g):
        subs, out = ctx.meta
        arrays = ctx.saved_tensors
        grads = [None, None]
        for i, (s, a) in enumerate(zip(subs, arrays)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            others = [x for j, x in enumerate(subs) if j != i]
            avail = set(out).union(*others) if others else set(out)
            target = "".join(dict.fromkeys(c for c in s if c in avail))
            ops = [g] + [x for j, x in enumerate(arrays) if j != i]
            r = np.einsum(",".join([out] + others) + "->" + target, *ops)
            # letters found only in this operand were summed in forward: broadcast back over them
            sizes = dict(zip(s, a.shape))
            uniq = "".join(dict.fromkeys(s))
            cur = target + "".join(c for c in uniq if c not in target)
            r = np.broadcast_to(r.reshape(r.shape + (1,) * (len(cur) - len(target))), [sizes[c] for c in cur])
            r = np.einsum(cur + "->" + uniq, r)
            if len(uniq) == len(s):
                grads.append(np.ascontiguousarray(r))
                continue
            full = np.zeros(a.shape, g.dtype)  # a repeated letter read a diagonal: write onto it
            idx = np.indices([sizes[c] for c in uniq])
            full[tuple(idx[uniq.index(c)] for c in s)] = r
            grads.append(full)
        return tuple(grads)


@declare(method=False)
def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(t).__name__}")
    subs, out = _parse(equation, [t.shape for t in operands])
    dts = {t.dtype for t in operands}
    if len(dts) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got {sorted(map(str, dts))}")
    return _Einsum.apply(tuple(subs), out, *operands)


# ---------------------------------------------------------------- products
def _vec(x, name, argname):
    if not isinstance(x, Tensor) or x.ndim != 1:
        raise RuntimeError(f"{name}: {argname} must be a 1D tensor, got "
                           f"{x.ndim if isinstance(x, Tensor) else type(x).__name__}D")


@declare(out=True, aliases=("ger",))
def outer(input, vec2):
    _vec(input, "outer", "input")
    _vec(vec2, "outer", "vec2")
    return mul(input.reshape(-1, 1), vec2.reshape(1, -1))


@declare(out=True)
def dot(input, tensor):
    _vec(input, "dot", "input")
    _vec(tensor, "dot", "tensor")
    if input.shape != tensor.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] "
                           f"to have the same number of elements, but got {input.shape[0]} and {tensor.shape[0]} elements respectively")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype} and {tensor.dtype}")
    return matmul(input, tensor)


@declare(out=True)
def vdot(input, other):
    return dot(input, other)


@declare(out=True)
def inner(input, other):
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    return tensordot(input, other, ([-1], [-1]))


@declare(out=True)
def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got {input.ndim}D and {vec.ndim}D")
    return matmul(input, vec)


def _scaled_sum(input, p, beta, alpha):
    """beta * input + alpha * p for the add*mm family, skipping the multiplications by 1 as PyTorch does."""
    return (input if beta == 1 else input * beta) + (p if alpha == 1 else p * alpha)


@declare(inplace=True, out=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"addmm: mat1 and mat2 must be matrices, got {mat1.ndim}D and {mat2.ndim}D")
    p = matmul(mat1, mat2)
    return _scaled_sum(input, p, beta, alpha)


@declare(inplace=True, out=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    p = mv(mat, vec)
    return _scaled_sum(input, p, beta, alpha)


@declare(inplace=True, out=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"baddbmm: batch1 and batch2 must be 3D tensors, got {batch1.ndim}D and {batch2.ndim}D")
    p = matmul(batch1, batch2)
    return _scaled_sum(input, p, beta, alpha)


@declare(inplace=True, out=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    p = _sum(matmul(batch1, batch2), 0)
    return _scaled_sum(input, p, beta, alpha)


@declare(inplace=True, out=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    p = outer(vec1, vec2)
    return _scaled_sum(input, p, beta, alpha)


@declare(method=False, out=True)
def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da = [_one_dim(d, a.ndim) for d in da]
    db = [_one_dim(d, b.ndim) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} "
                               f"and second has size {b.shape[y]} in dim {y}")
    la = "".join(_LETTERS[i] for i in range(a.ndim))
    lb = [_LETTERS[26 + i] for i in range(b.ndim)]
    for x, y in zip(da, db):
        lb[y] = la[x]
    lb = "".join(lb)
    out = "".join(c for c in la if c not in lb) + "".join(c for c in lb if c not in la)
    return einsum(f"{la},{lb}->{out}", a, b)


@declare(out=True)
def kron(input, other):
    nd = builtins.max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    la, lb = _LETTERS[:nd], _LETTERS[nd:2 * nd]
    out = "".join(x + y for x, y in zip(la, lb))
    r = einsum(f"{la},{lb}->{out}", a, b)
    return r.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


@declare(out=True)
def cross(input, other, dim=None):
    if input.shape != other.shape:
        shape = np.broadcast_shapes(input.shape, other.shape)
        input, other = input.expand(shape), other.expand(shape)
    if dim is None:
        dims = [i for i, s in enumerate(input.shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        d = dims[0]
    else:
        d = _one_dim(dim, input.ndim)
        if input.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                               f"{other.shape[d]}")
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    from .shape import stack
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)


# ---------------------------------------------------------------- norms
@declare(out=True, method=False)
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {x.dtype}")
    dims = None if dim is None else norm_dims(dim, x.ndim)
    a = x.abs()
    if ord == float("inf"):
        return amax(a, dims, keepdim) if dims is not None else _keep(amax(a), x, keepdim)
    if ord == -float("inf"):
        return amin(a, dims, keepdim) if dims is not None else _keep(amin(a), x, keepdim)
    if ord == 0:
        return _sum((a != 0).to(x.dtype), dims, keepdim)
    if ord == 2:
        from .reductions import norm
        return norm(x, 2, dims, keepdim)
    if ord == 1:
        return _sum(a, dims, keepdim)
    return _sum(a ** ord, dims, keepdim) ** (1.0 / ord)


def _keep(r, x, keepdim):
    return r.reshape((1,) * x.ndim) if keepdim else r


@declare(out=True, method=False)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d = tuple(_one_dim(x, A.ndim) for x in dim)
    if ord == "fro":
        return vector_norm(A, 2, d, keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = svdvals(A.movedim(d, (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        return r.reshape(r.shape + (1, 1)).movedim((-2, -1), d) if keepdim else r
    if ord in (1, -1, float("inf"), -float("inf")):
        sum_dim, red_dim = (d[0], d[1]) if ord in (1, -1) else (d[1], d[0])
        s = _sum(A.abs(), sum_dim, True)
        r = amax(s, red_dim, True) if ord > 0 else amin(s, red_dim, True)
        return r if keepdim else r.squeeze(tuple(sorted(d)))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


@declare(out=True, method=False, name="linalg_norm", torch=False)
def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and not isinstance(dim, int) and len(dim) == 2 or (dim is None and ord is not None and
                                                                           A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A.ndim != 1:
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ---------------------------------------------------------------- inverses and determinants
# (decompositions: linalg_decomp.py; solves, pinv, lstsq, matrix_exp: linalg_solve.py; LU: linalg_lu.py)
class _Inv(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                               "because the input matrix is singular.") from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        yt = np.swapaxes(y, -1, -2)
        return -yt @ g @ yt


def inv(A, *, out=None):
    _square(A, "linalg.inv")
    from ._declare import write_out
    r = _Inv.apply(A)
    return r if out is None else write_out(out, r, "linalg.inv")


class _Det(Function):
    @staticmethod
    def forward(ctx, a):
        d = np.asarray(np.linalg.det(a))
        ctx.save_for_backward(a)
        return d

    @staticmethod
    def backward(ctx, g):
        # d det / dA is the cofactor matrix adj(A)^T. With A = U S Vh it is det(U) det(Vh) U diag(p) Vh,
        # p_i the product of the other singular values: finite for singular A too (PyTorch's gradient there)
        a, = ctx.saved_tensors
        u, s, vh = np.linalg.svd(a)
        n = s.shape[-1]
        others = np.prod(np.where(np.eye(n, dtype=bool), 1, s[..., None, :]), -1)
        sign = np.linalg.det(u) * np.linalg.det(vh)
        return (g * sign)[..., None, None] * (u @ (others[..., :, None] * vh))


@declare(method=True, name="det")
def det(A):
    _square(A, "linalg.det")
    return _Det.apply(A)


SlogDet = namedtuple("slogdet", ["sign", "logabsdet"])


class _Slogdet(Function):
    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        sign = np.asarray(sign, a.dtype)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign)
        return sign, np.asarray(logabs, a.dtype)

    @staticmethod
    def backward(ctx, gsign, glog):
        # d log|det A| = tr(A^-1 dA)
        a, = ctx.saved_tensors
        return glog[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)


def slogdet(A):
    _square(A, "linalg.slogdet")
    return SlogDet(*_Slogdet.apply(A))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above max(atol, rtol * largest), PyTorch's default tolerances."""
    from .linalg_solve import _tolerances
    a = A._data
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    atol_, rtol_ = _tolerances(atol, rtol, a.shape[-2], a.shape[-1], a.dtype)
    smax = s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype)
    return _wrap(np.asarray((s > np.maximum(atol_, rtol_ * smax)[..., None]).sum(-1), np.int64))


def matrix_power(A, n):
    _square(A, "linalg.matrix_power")
    if n < 0:
        return matrix_power(inv(A), -n)
    r = _wrap(np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape).copy())
    for _ in range(n):
        r = matmul(r, A)
    return r


declare(inv, name="inverse", torch=True, method=True)
declare(slogdet, name="slogdet", torch=True, method=True)
declare(matrix_power, name="matrix_power", torch=True, method=True)


def vander(x, *, N=None):
    from .numeric import vander as _vander
    return _vander(x, N, increasing=True)


@declare(method=False, name="matrix_rank")
def _matrix_rank_legacy(A, tol=None, symmetric=False):
    """torch.matrix_rank (the older signature; torch.linalg.matrix_rank is matrix_rank above)."""
    return _wrap(np.asarray(np.linalg.matrix_rank(A._data, tol=tol, hermitian=symmetric), np.int64))
