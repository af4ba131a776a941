"""Whole training steps (forward, loss, backward, optimizer step): fastnn vs PyTorch."""
import pytest

from fastnn.bench.steps import STEPS


@pytest.mark.parametrize("name,make", STEPS, ids=[s[0] for s in STEPS])
def test_fastnn_step(benchmark, name, make):
    benchmark.group = name
    step, _ = make(False)
    benchmark(step)


@pytest.mark.parametrize("name,make", STEPS, ids=[s[0] for s in STEPS])
def test_pytorch_step(benchmark, name, make):
    pytest.importorskip("torch")
    import torch
    import fastnn
    torch.set_num_threads(fastnn.get_num_threads())
    benchmark.group = name
    _, step = make(True)
    benchmark(step)
