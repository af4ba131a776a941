"""The kernel cases' shapes through the public layers (forward + backward into every parameter): fastnn vs PyTorch."""
import pytest

from fastnn.bench.layers import LAYERS


@pytest.mark.parametrize("name,make", LAYERS, ids=[c[0] for c in LAYERS])
def test_fastnn_layer(benchmark, name, make):
    benchmark.group = name
    step, _ = make(False)
    benchmark(step)


@pytest.mark.parametrize("name,make", LAYERS, ids=[c[0] for c in LAYERS])
def test_pytorch_layer(benchmark, name, make):
    pytest.importorskip("torch")
    import torch
    import fastnn
    torch.set_num_threads(fastnn.get_num_threads())
    benchmark.group = name
    _, step = make(True)
    benchmark(step)
