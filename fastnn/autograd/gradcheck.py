"""Finite-difference check of analytic gradients (float64)."""
import numpy as np

from .tensor import Tensor, _wrap
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Compare backward() with central differences of a random projection of fn's outputs.

    For random weights R_k, L(inputs) = sum_k <R_k, out_k>; its analytic gradient
    (by backward) must match (L(x + eps e_i) - L(x - eps e_i)) / 2 eps for every
    element i of every input that requires grad. Inputs must be float64.
    """
    inputs = tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck: no input requires grad")
    for x in diff_inputs:
        if x.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs for accurate differences, got {x.dtype}")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    weights = [rng.standard_normal(o.shape) for o in outs]

    def projected():
        with no_grad():
            return sum(float(np.sum(o._data * w)) for o, w in zip(_outputs(fn, inputs), weights))

    for x in diff_inputs:
        x.grad = None
    total = None
    for o, w in zip(outs, weights):
        if o.requires_grad:
            term = (o * _wrap(w)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()

    for n, x in enumerate(diff_inputs):
        analytic = np.zeros(x.shape) if x.grad is None else x.grad._data
        numeric = np.zeros(x.shape)
        flat = x._data.reshape(-1)
        if not np.shares_memory(flat, x._data):
            raise ValueError("gradcheck inputs must be contiguous")
        num_flat = numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = projected()
            flat[i] = old - eps
            minus = projected()
            flat[i] = old
            num_flat[i] = (plus - minus) / (2 * eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            err = np.max(np.abs(analytic - numeric))
            msg = (f"gradcheck: gradient of input {n} (shape {tuple(x.shape)}) differs from finite differences "
                   f"by up to {err:.3g}\nanalytic:\n{analytic}\nnumeric:\n{numeric}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
