"""fastnn.sparse.mm against torch.sparse.mm: values and gradients (dense operand and sparse values), float32 and
float64, CSR and COO, narrow and wide features; float64 gradcheck; the transpose built once per matrix; the
values' gradient computed only when asked for; bad structures rejected when the matrix is built."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck
from fastnn.autograd.native import graph as native_graph
from fastnn.graph import structure

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-12)}


def _matrix(seed, n=9, m=7, density=0.35):
    rng = np.random.default_rng(seed)
    dense = rng.standard_normal((n, m)) * (rng.random((n, m)) < density)
    dense[-1] = 0  # an empty row
    rows, cols = np.nonzero(dense)
    crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return rng, crow, cols, dense[rows, cols], rows


@pytest.mark.parametrize("layout", ["csr", "coo"])
@pytest.mark.parametrize("F", [1, 16, 37, 200])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_gradients_match_pytorch(dtype, F, layout):
    torch = pytest.importorskip("torch")
    rng, crow, cols, vals, rows = _matrix(F)
    x0 = rng.standard_normal((7, F)).astype(dtype)
    g = rng.standard_normal((9, F)).astype(dtype)
    results = []
    for lib in (fastnn, torch):
        v = lib.tensor(vals.astype(dtype), requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        if layout == "csr":
            a = lib.sparse_csr_tensor(lib.tensor(crow), lib.tensor(cols), v, size=(9, 7))
        else:
            a = lib.sparse_coo_tensor(lib.tensor(np.stack([rows, cols])), v, (9, 7))
        y = lib.sparse.mm(a, x)
        y.backward(lib.tensor(g))
        results.append([y.detach().numpy(), x.grad.numpy(), v.grad.numpy()])
    for mine, theirs in zip(*results):
        assert mine.dtype == theirs.dtype
        np.testing.assert_allclose(mine, theirs, **TOL[dtype])


def test_gradient_of_a_sum_matches_pytorch():
    """out.sum().backward() hands the kernel a broadcast gradient (row stride 0), read without a copy."""
    torch = pytest.importorskip("torch")
    rng, crow, cols, vals, _ = _matrix(3)
    x0 = rng.standard_normal((7, 40)).astype(np.float32)
    grads = []
    for lib in (fastnn, torch):
        x = lib.tensor(x0, requires_grad=True)
        a = lib.sparse_csr_tensor(lib.tensor(crow), lib.tensor(cols), lib.tensor(vals.astype(np.float32)), size=(9, 7))
        lib.sparse.mm(a, x).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], **TOL[np.float32])


def test_gradcheck_float64():
    rng, crow, cols, vals, _ = _matrix(4)
    v = fastnn.tensor(vals, requires_grad=True)
    x = fastnn.tensor(rng.standard_normal((7, 5)), requires_grad=True)
    assert gradcheck(lambda v, x: fastnn.sparse.mm(fastnn.sparse_csr_tensor(crow, cols, v, size=(9, 7)), x), (v, x))


def test_transpose_is_built_once_per_matrix(monkeypatch):
    rng, crow, cols, vals, _ = _matrix(5)
    calls = []
    build = structure.csr_transpose
    monkeypatch.setattr(structure, "csr_transpose", lambda *a: calls.append(1) or build(*a))
    a = fastnn.sparse_csr_tensor(crow, cols, vals, size=(9, 7))
    for _ in range(3):
        x = fastnn.tensor(rng.standard_normal((7, 4)), requires_grad=True)
        fastnn.sparse.mm(a, x).sum().backward()
    assert len(calls) == 1


def test_values_gradient_only_when_asked_for(monkeypatch):
    rng, crow, cols, vals, _ = _matrix(6)
    seen = []
    backward = native_graph.graph_kernels.spmm_csr_backward
    monkeypatch.setattr(native_graph.graph_kernels, "spmm_csr_backward",
                        lambda *a, **k: seen.append((k["need_x"], k["need_values"])) or backward(*a, **k))
    x = fastnn.tensor(rng.standard_normal((7, 3)), requires_grad=True)
    fastnn.sparse.mm(fastnn.sparse_csr_tensor(crow, cols, vals, size=(9, 7)), x).sum().backward()
    v = fastnn.tensor(vals, requires_grad=True)
    fastnn.sparse.mm(fastnn.sparse_csr_tensor(crow, cols, v, size=(9, 7)), x.detach()).sum().backward()
    assert seen == [(True, False), (False, True)]
    assert x.grad is not None and v.grad is not None


@pytest.mark.parametrize("crow,col,size,error,match", [
    ([0, 1, 2], [0, 7], (2, 7), ValueError, "size"),  # column 7 of a 7-column matrix
    ([0, 1, 2], [0, -1], (2, 7), IndexError, "negative"),
    ([0, 2, 1], [0, 1], (2, 7), ValueError, "crow_indices must rise"),
    ([0, 1, 3], [0, 1], (2, 7), ValueError, "crow_indices must rise"),
    ([0, 1, 2], [0.0, 1.0], (2, 7), TypeError, "col_indices must be a 1-D integer tensor"),
])
def test_bad_structure_raises_when_the_matrix_is_built(crow, col, size, error, match):
    with pytest.raises(error, match=match):
        fastnn.sparse_csr_tensor(np.array(crow), np.array(col), np.ones(len(col)), size=size)


def test_a_matrix_changed_behind_its_freeze_raises_instead_of_reading_out_of_bounds():
    _, crow, cols, vals, _ = _matrix(7)
    a = fastnn.sparse_csr_tensor(crow, cols, vals, size=(9, 7))
    indices = a.col_indices().numpy()
    indices.flags.writeable = True  # deliberate misuse: switch the flag back on, change, switch off
    indices[0] = 10 ** 9
    indices.flags.writeable = False
    with pytest.raises(IndexError, match="changed after it was checked"):
        fastnn.sparse.mm(a, fastnn.ones(7, 3, dtype=fastnn.float64))


def test_bad_dense_operand_raises():
    _, crow, cols, vals, _ = _matrix(8)
    a = fastnn.sparse_csr_tensor(crow, cols, vals, size=(9, 7))
    with pytest.raises(ValueError, match="cannot be multiplied"):
        fastnn.sparse.mm(a, fastnn.ones(6, 3, dtype=fastnn.float64))
    with pytest.raises(TypeError, match="same dtype"):
        fastnn.sparse.mm(a, fastnn.ones(7, 3))
    with pytest.raises(TypeError, match="2-D dense Tensor"):
        fastnn.sparse.mm(a, fastnn.ones(7, dtype=fastnn.float64))
