"""linear and bilinear: one fused GEMM Function (bias included) after PyTorch's argument checks."""
from ..autograd import ops
from ..autograd.native.linear import LinearFn
from .functional_checks import _check_float


def linear(input, weight, bias=None):
    _check_float(input, "input")
    _check_float(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {input.shape[-1] if input.ndim else 0} features in its last dim, "
                         f"weight expects {weight.shape[1]} (input shape {tuple(input.shape)})")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}")
    return LinearFn.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    out = ops.matmul(ops.matmul(input1.unsqueeze(-2).unsqueeze(-3), weight.unsqueeze(0) if input1.ndim > 1 else weight),
                     input2.unsqueeze(-2).unsqueeze(-1) if input1.ndim > 1 else input2.unsqueeze(-1))
    out = out.squeeze(-1).squeeze(-1)
    return out + bias if bias is not None else out
