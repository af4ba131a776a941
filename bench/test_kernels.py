"""Every kernel in the registry: compiled vs NumPy reference vs PyTorch, same inputs."""
import numpy as np
import pytest

from fastnn import kernels
from fastnn.kernels import reference, registry

CASES = registry.all_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fastnn(benchmark, case):
    benchmark.group = case.name
    inputs = case.make_inputs(np.random.default_rng(0))
    benchmark(case.run, kernels, inputs)


@pytest.mark.parametrize("case", [c for c in CASES if c.reference], ids=lambda c: c.name)
def test_numpy_reference(benchmark, case):
    benchmark.group = case.name
    inputs = case.make_inputs(np.random.default_rng(0))
    benchmark.pedantic(case.run, args=(reference, inputs), rounds=3, iterations=1)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch_setup], ids=lambda c: c.name)
def test_pytorch(benchmark, case):
    torch = pytest.importorskip("torch")
    import fastnn
    torch.set_num_threads(fastnn.get_num_threads())
    benchmark.group = case.name
    step = case.torch_setup(case.make_inputs(np.random.default_rng(0)))
    benchmark(step)
