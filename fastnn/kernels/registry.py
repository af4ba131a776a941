"""The one list of kernels that tests, bench/ and `fastnn bench` iterate.

A `Case` names the kernels it exercises and knows how to build inputs for one
representative shape and run them on a kernel module: the compiled
`fastnn.kernels`, or `fastnn.kernels.reference`. When PyTorch is importable,
`torch_run` gives the same computation in PyTorch for a three-way comparison.
Each kernel family lists its cases in `fastnn/kernels/cases/<family>.py`.
"""
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple
import importlib

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str                                   # what and which shape, e.g. "softmax fwd+bwd (16384, 256)"
    family: str                                 # kernel family (csrc/<family>.pyx)
    kernels: Tuple[str, ...]                    # kernel entry points the case calls
    make_inputs: Callable[[np.random.Generator], Any]  # inputs for one run (float32)
    run: Callable[[Any, Any], Any]              # run(kernel_module, inputs) -> outputs
    torch_setup: Optional[Callable[[Any], Callable[[], Any]]] = None  # inputs -> zero-arg PyTorch call
    reference: bool = True                      # False when the NumPy reference is too slow to time
    flops: Optional[float] = None               # arithmetic of one run (multiply-add = 2) for GEMM-bound cases
    values: bool = True                         # False for structure-only cases (indices out): no NaN/Inf checks

from .backend import FAMILIES


def all_cases():
    """Every registered case, in family order."""
    cases = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"fastnn.kernels.cases.{family}")
        except ModuleNotFoundError as err:
            if err.name != f"fastnn.kernels.cases.{family}":
                raise
            continue
        cases.extend(module.CASES)
    return cases


def torch_input_grad_step(fn, x, grad):
    """The PyTorch step a one-input kernel pair is timed against: fn on a fresh leaf of x,
    backward with grad; returns x's gradient."""
    def step():
        leaf = x.detach().requires_grad_()
        fn(leaf).backward(grad)
        return leaf.grad
    return step


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
