"""The compiled kernels, their NumPy twins and the benchmark registry agree with each other."""
import inspect

import numpy as np
import pytest

from fastnn import kernels
from fastnn.kernels import reference, registry


def test_every_compiled_kernel_has_a_reference_with_the_same_signature():
    names = kernels.kernel_names()
    assert "softmax_forward" in names and "cross_entropy_backward" in names
    for name in names:
        assert hasattr(reference, name), f"fastnn.kernels.reference lacks {name}"
        compiled = inspect.signature(getattr(kernels, name))
        ref = inspect.signature(getattr(reference, name))
        assert list(compiled.parameters) == list(ref.parameters), name
        for p in compiled.parameters:
            assert compiled.parameters[p].default == ref.parameters[p].default, (name, p)


def test_every_reference_kernel_is_compiled():
    public = [n for n in dir(reference) if not n.startswith("_") and callable(getattr(reference, n))
              and getattr(getattr(reference, n), "__module__", "").startswith("fastnn.kernels.reference")]
    missing = sorted(set(public) - set(kernels.kernel_names()))
    assert not missing, f"reference kernels without a compiled twin: {missing}"


def test_every_kernel_is_benchmarked():
    covered = {k for case in registry.all_cases() for k in case.kernels}
    missing = sorted(set(kernels.kernel_names()) - covered)
    assert not missing, f"kernels no registry case exercises: {missing}"


@pytest.mark.parametrize("case", registry.all_cases(), ids=lambda c: c.name)
def test_registry_case_runs_and_agrees_with_reference(case):
    if not case.reference:
        pytest.skip("reference too slow for this case; kernel tests cover it")
    # fresh inputs for each backend: some cases (optimizer steps) update their inputs in place
    got = case.run(kernels, case.make_inputs(np.random.default_rng(0)))
    want = case.run(reference, case.make_inputs(np.random.default_rng(0)))
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want), f"{case.name}: {len(got)} outputs vs the reference's {len(want)}"
    for i, (a, b) in enumerate(zip(got, want)):
        # tolerance relative to each output's own scale, so small gradients are checked as closely as large ones
        scale = float(np.max(np.abs(b))) if np.size(b) else 1.0
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4 * max(scale, 1e-3), err_msg=f"{case.name} output {i}")
