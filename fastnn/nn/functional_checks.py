"""The argument rules every functional module shares: tensor and dtype checks, `reduction`, and
PyTorch's deprecated size_average / reduce flags. `fname`, when given, prefixes the message."""
import warnings

from ..autograd.tensor import Tensor


def _prefix(fname):
    return f"{fname}: " if fname else ""


def _check_tensor(x, name, fname=None):
    if not isinstance(x, Tensor):
        raise TypeError(f"{_prefix(fname)}{name} must be a Tensor, got {type(x).__name__}")


def _check_float(x, name, fname=None):
    _check_tensor(x, name, fname)
    if x.dtype.kind != "f":
        raise TypeError(f"{_prefix(fname)}{name} must be a floating point tensor, got {x.dtype}")


def _check_reduction(reduction, fname=None):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{_prefix(fname)}reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction, fname=None):
    _check_reduction(reduction, fname)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted_reduce(loss, weight, reduction, input, by_weight_sum):
    """PyTorch 2.13's elementwise `weight` of mse/l1/huber: same shape as input; 'mean' divides by the
    weights' sum (mse, l1) or by the element count (huber)."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    _check_reduction(reduction)
    loss = loss * weight
    if reduction == "mean" and by_weight_sum:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated size_average / reduce flags, when given, decide the reduction."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='...' instead.",
                  UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _warn_if_broadcast(input, target):
    """PyTorch's warning when an elementwise loss's target broadcasts against the input (usually a bug)."""
    if isinstance(target, Tensor) and tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      f"Please ensure they have the same size.", UserWarning, stacklevel=3)


def _same_shape(input, target, fname):
    if input.shape != target.shape:
        raise ValueError(f"{fname}: target shape {tuple(target.shape)} must match input shape {tuple(input.shape)}")
