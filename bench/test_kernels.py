"""Every kernel in the registry: compiled vs NumPy reference vs PyTorch, same inputs."""
import numpy as np
import pytest

from fastnn import kernels
from fastnn.kernels import reference, registry

CASES = registry.all_cases()


def _case_id(case):
    """The report names the case and the kernels it times."""
    return f"{case.name} [{' '.join(case.kernels)}]"


def _label(benchmark, case):
    benchmark.group = case.name
    benchmark.extra_info["kernels"] = list(case.kernels)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fastnn(benchmark, case):
    _label(benchmark, case)
    inputs = case.make_inputs(np.random.default_rng(0))
    benchmark(case.run, kernels, inputs)


@pytest.mark.parametrize("case", [c for c in CASES if c.reference], ids=_case_id)
def test_numpy_reference(benchmark, case):
    _label(benchmark, case)
    inputs = case.make_inputs(np.random.default_rng(0))
    benchmark.pedantic(case.run, args=(reference, inputs), rounds=3, iterations=1)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch_setup], ids=_case_id)
def test_pytorch(benchmark, case):
    torch = pytest.importorskip("torch")
    import fastnn
    torch.set_num_threads(fastnn.get_num_threads())
    _label(benchmark, case)
    step = case.torch_setup(case.make_inputs(np.random.default_rng(0)))
    benchmark(step)
