"""torch.distributions.utils' helpers that user code reaches for: probabilities <-> logits, clamping."""
from ..autograd.ops.softmax import softmax
from .discrete import _clamp_probs
from .distribution import as_param, broadcast_all as _broadcast_named


def clamp_probs(probs):
    """probs clamped to [eps, 1 - eps] of its dtype, so logs of them stay finite."""
    return _clamp_probs(as_param(probs, "probs"))


def probs_to_logits(probs, is_binary=False):
    """log(p) for categorical probabilities; log(p) - log(1 - p) when is_binary."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) when is_binary, else softmax over the last dimension."""
    logits = as_param(logits, "logits")
    return logits.sigmoid() if is_binary else softmax(logits, -1)


def broadcast_all(*values):
    """The values as tensors broadcast to one shape (numbers take the tensors' float dtype)."""
    return _broadcast_named(*[(f"values[{i}]", v) for i, v in enumerate(values)])
