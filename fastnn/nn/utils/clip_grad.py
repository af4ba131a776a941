"""Gradient clipping, in place on .grad (PyTorch's semantics)."""
import numpy as np

from ...autograd.tensor import Tensor, _wrap


def _params_with_grad(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so their total norm is at most max_norm; returns the total norm."""
    params = _params_with_grad(parameters)
    if not params:
        return _wrap(np.zeros((), np.float32))
    norm_type = float(norm_type)
    grads = [p.grad._data for p in params]
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of gradients is non-finite, so it cannot be clipped")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1:  # also when the norm is NaN: every gradient becomes NaN, as in PyTorch, not left unclipped
        for g in grads:
            g *= g.dtype.type(coef)
    return _wrap(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    for p in _params_with_grad(parameters):
        np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (gradients, usually): what clip_grad_norm_ measures."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    arrays = [t._data for t in tensors if t is not None]
    if not arrays:
        return _wrap(np.zeros((), np.float32))
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    else:
        total = float(sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrays)) ** (1 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           f"cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           f"anyway, set `error_if_nonfinite=False`")
    return _wrap(np.asarray(total, dtype=arrays[0].dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1."""
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = max_norm / (total + 1e-6)
    if not coef >= 1:
        for p in _params_with_grad(parameters):
            p.grad._data *= p.grad._data.dtype.type(coef)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """PyTorch's deprecated name for clip_grad_norm_."""
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
