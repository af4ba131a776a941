"""Linear-algebra gradients the op table cannot state: det at a singular matrix, the backward errors PyTorch
raises for QR, and singular triangular solves (the table's rows in op_db_linalg.py cover the rest)."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck

torch = pytest.importorskip("torch")


def _cofactors(a):
    """C_ij = (-1)^(i+j) det(a without row i and column j): d det / dA, from the definition."""
    n = a.shape[0]
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


@pytest.mark.parametrize("n", [3, 4])
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n))
    a[:, -1] = a[:, 0]  # rank n - 1: A^-1 does not exist, the cofactors do
    x = fastnn.from_numpy(a).requires_grad_()
    fastnn.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), _cofactors(a), rtol=1e-9, atol=1e-12)
    assert gradcheck(fastnn.linalg.det, (fastnn.from_numpy(a).requires_grad_(),))


@pytest.mark.parametrize("shape,mode", [((4, 3), "r"), ((4, 3), "complete")])
def test_qr_backward_refuses_where_pytorch_does(shape, mode):
    a = np.random.default_rng(0).standard_normal(shape)
    t = torch.from_numpy(a).requires_grad_()
    with pytest.raises(RuntimeError):
        torch.linalg.qr(t, mode=mode).R.sum().backward()
    x = fastnn.from_numpy(a).requires_grad_()
    with pytest.raises(RuntimeError, match="mode"):
        fastnn.linalg.qr(x, mode=mode).R.sum().backward()


def test_complete_qr_of_a_wide_matrix_differentiates():
    a = np.random.default_rng(1).standard_normal((3, 5))
    assert gradcheck(lambda x: fastnn.linalg.qr(x, mode="complete"), (fastnn.from_numpy(a).requires_grad_(),))


def test_singular_triangular_solve_gives_non_finite_values_without_raising():
    a = np.triu(np.ones((3, 3)))
    a[1, 1] = 0.0
    b = np.ones((3, 1))
    want = torch.linalg.solve_triangular(torch.from_numpy(a), torch.from_numpy(b), upper=True)
    got = fastnn.linalg.solve_triangular(fastnn.from_numpy(a), fastnn.from_numpy(b), upper=True)
    assert not np.isfinite(want.numpy()).all() and not np.isfinite(got.numpy()).all()


def test_rank_deficient_pinv_gradient_matches_pytorch():
    # constant rank: the Golub-Pereyra formula PyTorch uses holds; finite differences would change the rank
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))
    w = rng.standard_normal((3, 4))
    t = torch.from_numpy(a).requires_grad_()
    (torch.linalg.pinv(t) * torch.from_numpy(w)).sum().backward()
    x = fastnn.from_numpy(a).requires_grad_()
    (fastnn.linalg.pinv(x) * fastnn.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_svd_gradient_through_a_gauge_dependent_loss_is_still_a_gradient_of_the_invariant_part():
    # U diag(s) Vh rebuilt from the factors is A itself: its gradient is the weights, whatever the signs
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 5, 3))
    w = rng.standard_normal((2, 5, 3))
    x = fastnn.from_numpy(a).requires_grad_()
    U, S, Vh = fastnn.linalg.svd(x, full_matrices=False)
    ((U * S.unsqueeze(-2)) @ Vh * fastnn.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("call", [lambda L, a: L.geqrf(a).a,
                                  lambda L, a: L.linalg.ldl_factor(a + a.mT).LD])
def test_lapack_outputs_without_a_derivative_refuse_backward_as_pytorch_does(call):
    a = np.random.default_rng(4).standard_normal((3, 3))
    with pytest.raises(RuntimeError):
        call(torch, torch.from_numpy(a).requires_grad_()).sum().backward()
    with pytest.raises(NotImplementedError, match="derivative"):  # PyTorch's NotImplementedError is a RuntimeError
        call(fastnn, fastnn.from_numpy(a).requires_grad_()).sum().backward()
