"""Whole training steps timed by `fastnn bench`: they run, and fastnn's losses follow PyTorch's from the same weights."""
import math

import numpy as np
import pytest

from fastnn.bench.steps import STEPS

# the steps that return their loss
LOSS_STEPS = ["conv autoencoder training step, batch 128",
              "LSTM medium training step (T=50, B=32, I=128, H=256)",
              "LSTM 2-layer bidirectional training step (T=50, B=32, I=128, H=128)",
              "zoo TransformerLM training step, d128 x4 h4, 32 x 128 chars"]


@pytest.mark.parametrize("name", LOSS_STEPS)
def test_step_runs_without_torch(name):
    step, torch_step = dict(STEPS)[name](False)
    assert torch_step is None
    assert math.isfinite(step().item())


@pytest.mark.parametrize("name", LOSS_STEPS)
def test_step_losses_match_pytorch(name):
    pytest.importorskip("torch")
    step, torch_step = dict(STEPS)[name](True)
    # the first loss checks the forward pass on the copied weights; the second the gradients and Adam's update
    losses = [step().item() for _ in range(2)]
    torch_losses = [torch_step().item() for _ in range(2)]
    assert all(math.isfinite(v) for v in losses)
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-5)
    assert losses[1] < losses[0]
