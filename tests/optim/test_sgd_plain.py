"""Plain SGD (no momentum, decay or maximize) updates small parameters inline and large ones on the kernel: both
match PyTorch's update, skip parameters without a gradient, and keep the optimizer's state as before."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_sgd_matches_pytorch_small_and_large(dtype):
    rng = np.random.default_rng(0)
    shapes = [(16, 4), (3,), (200, 100)]  # the last is past the inline size: the kernel's update
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ps = [fastnn.tensor(a.copy()).requires_grad_() for a in arrays]
    tps = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    opt, topt = fastnn.optim.SGD(ps, lr=0.05), torch.optim.SGD(tps, lr=0.05)
    for step in range(3):
        for i, (p, tp, g) in enumerate(zip(ps, tps, grads)):
            skip = step == 1 and i == 1  # a parameter without a gradient this step is left alone
            p.grad = None if skip else fastnn.tensor(g * (step + 1))
            tp.grad = None if skip else torch.from_numpy(g * (step + 1))
        opt.step()
        topt.step()
        for p, tp in zip(ps, tps):  # PyTorch fuses p + (-lr) g: an ulp apart at most
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6 if dtype == np.float32
                                       else 1e-14, atol=1e-7 if dtype == np.float32 else 1e-15)
    assert len(opt.state) == 3 and all(st == {} for st in opt.state.values())
