"""Cross-entropy's class targets as the fused kernels check them (one C loop) and its mean over the kept
targets: ignored targets, every target ignored (0 / 0: NaN, as PyTorch), bad targets raise naming target."""
import numpy as np
import pytest

import fastnn
from fastnn import kernels as K
from fastnn.nn import functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target,ignore_index", [([0, 2, 1, 2], -100), ([0, -100, 1, -100], -100), ([-100] * 4, -100),
                                                 ([5, 2, 5, 5], 5), ([5] * 4, 5), ([0, 2, 1, 2], 5)])
def test_mean_over_kept_targets_matches_pytorch(dtype, target, ignore_index):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 3)).astype(dtype)
    t = np.array(target, np.int64)
    x = fastnn.tensor(logits).requires_grad_()
    loss = F.cross_entropy(x, fastnn.tensor(t), ignore_index=ignore_index)
    loss.backward()
    tx = torch.from_numpy(logits).requires_grad_()
    tloss = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t), ignore_index=ignore_index)
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7, equal_nan=True)


@pytest.mark.parametrize("bad", [3, -1, -101, 2 ** 40])
def test_target_out_of_range_raises_naming_it(bad):
    logits = np.zeros((3, 3), np.float32)
    t = np.array([0, bad, 1], np.int64)
    with pytest.raises(IndexError, match=f"target holds {bad}, out of range"):
        K.cross_entropy_forward(logits, t)
    with pytest.raises(IndexError, match=f"target holds {bad}, out of range"):
        K.cross_entropy_backward(logits, t, np.ones(3, np.float32))
    with pytest.raises((IndexError, RuntimeError)):
        F.cross_entropy(fastnn.tensor(logits), fastnn.tensor(t))


def test_target_argument_errors_name_it():
    logits = np.zeros((3, 3), np.float32)
    with pytest.raises(TypeError, match="target must be int64"):
        K.cross_entropy_forward(logits, np.zeros(3, np.int32))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        K.cross_entropy_forward(logits, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="target must be C-contiguous"):
        K.cross_entropy_forward(logits, np.zeros(6, np.int64)[::2])
    # a NumPy integer ignore_index takes the same check
    loss, _ = K.cross_entropy_forward(logits, np.array([0, -7, 2], np.int64), None, np.int64(-7))
    np.testing.assert_allclose(loss, [np.log(3), 0, np.log(3)], rtol=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_zero_weight_of_kept_targets_gives_pytorchs_nan(smoothing):
    """A mean over kept targets whose weights sum to 0 divides by 0: NaN loss, and gradients as PyTorch's."""
    logits = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    t, w = np.array([1, 1, 2], np.int64), np.array([1.0, 0.0, 0.0], np.float32)
    x = fastnn.tensor(logits).requires_grad_()
    loss = F.cross_entropy(x, fastnn.tensor(t), weight=fastnn.tensor(w), label_smoothing=smoothing)
    loss.backward()
    tx = torch.from_numpy(logits).requires_grad_()
    tloss = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t), weight=torch.from_numpy(w),
                                              label_smoothing=smoothing)
    tloss.backward()
    assert np.isnan(tloss.item()) and np.isnan(loss.item())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, equal_nan=True)
