"""fastnn: a NumPy-native deep-learning library with Cython kernels and PyTorch's API.

    import fastnn as torch
    import fastnn.nn as nn
    import fastnn.nn.functional as F
"""
from ._version import __version__  # noqa: F401

from . import _idle_threads  # first: sets the thread pools' idle policy before they load

try:
    __import__("fastnn._runtime")  # compiled: absent when this is an unbuilt source folder
except ModuleNotFoundError as _err:
    if _err.name != "fastnn._runtime":
        raise
    import os as _os
    raise ImportError(
        f"fastnn in {_os.path.dirname(__file__)} has no compiled extensions: this is the source folder, which "
        f"shadows an installed fastnn when Python runs from the checkout; run from another folder, or build it "
        f"in place with `pip install -e .`") from None

from .autograd import Tensor, Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .autograd.dtypes import float32, float64, int64, bool_ as bool  # noqa: A001 (PyTorch's name)
from .autograd.random import Generator, default_generator, manual_seed, seed, initial_seed
from .autograd.ops import (  # noqa: F401
    add, sub, mul, div, neg, pow, matmul, mm, bmm, maximum, minimum, floor_divide, remainder,
    exp, log, log1p, sqrt, rsqrt, abs, sin, cos, tanh, sigmoid, relu, clamp, clip, sign, floor, ceil,
    round, isnan, isinf, isfinite, eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor,
    logical_not, equal, allclose, sum, mean, max, min, amax, amin, argmax, argmin, var, std, logsumexp,
    prod, norm, all, any, count_nonzero, cumsum, reshape, flatten, permute, transpose, t, squeeze,
    unsqueeze, cat, concat, concatenate, stack, chunk, split, unbind, flip, gather, index_select, where,
    masked_fill, nonzero, softmax, log_softmax,
)
from .creation import (  # noqa: F401
    tensor, as_tensor, from_numpy, zeros, ones, empty, full, zeros_like, ones_like, empty_like, full_like,
    rand_like, randn_like, arange, linspace, eye, rand, randn, randint, randperm, normal, multinomial,
)
from .serialization import save, load
from .config import set_num_threads, get_num_threads, show_config
from .kernels.backend import set_backend, get_backend

float = float32  # noqa: A001
double = float64
long = int64


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


from .device import device  # noqa: E402
from . import autograd, nn, optim, utils, data, cuda, backends, graph, sparse, distributed  # noqa: E402,F401
from .sparse import sparse_csr_tensor  # noqa: E402
from . import accelerator, amp, cpu, jit, onnx  # noqa: E402,F401
from .amp import autocast  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401,A001
from . import distributions  # noqa: E402,F401  (torch.distributions: Categorical for policy gradients, ...)

# The op catalogue (fastnn/autograd/ops): every declared op's torch.x, with out= where PyTorch has it.
from .autograd.ops import torch_functions as _torch_functions  # noqa: E402
globals().update(_torch_functions())
from .autograd.dtypes import (  # noqa: E402,F401
    float16, int32, int16, int8, uint8, set_default_dtype, get_default_dtype, promote_types,
    result_type as _result_type, can_cast, finfo, iinfo,
)
from .creation import (  # noqa: E402,F401
    logspace, scalar_tensor, empty_strided, tril_indices, triu_indices, randint_like, bernoulli, poisson,
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor,
)
from .sparse_coo import sparse_coo_tensor, spmm  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
half = float16
short = int16
int = int32  # noqa: A001 (PyTorch's torch.int is int32)


from .creation import asarray, frombuffer, range, empty_permuted  # noqa: E402,F401,A004
from .global_state import (  # noqa: E402,F401
    get_rng_state, set_rng_state, set_printoptions, use_deterministic_algorithms, are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode, get_deterministic_debug_mode,
    set_float32_matmul_precision, get_float32_matmul_precision, set_num_interop_threads, get_num_interop_threads,
    set_anomaly_enabled, is_anomaly_enabled, is_anomaly_check_nan_enabled, set_warn_always, is_warn_always_enabled,
    get_default_device, set_default_device,
)
from .autograd.ops.tensor_methods import layout, strided, sparse_coo, sparse_csr  # noqa: E402,F401

# torch.x_(t, ...): PyTorch's function forms of these in-place methods
_TORCH_INPLACE = """abs acos acosh addmv arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil celu
    clamp clamp_max clamp_min clip cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac gcd lcm ldexp log10 log1p
    log2 log logit nan_to_num neg negative rad2deg reciprocal relu round rsqrt selu sigmoid sin sinc sinh sqrt square
    tan tanh threshold trunc xlogy index_put resize_as fill zero detach i0 as_strided""".split()


def _function_form(name):
    def f(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"torch.{name}(input, ...): input.{name}(...)"
    return f


globals().update({n + "_": _function_form(n + "_") for n in _TORCH_INPLACE})


# torch.x_copy(...): x(...) as a new tensor that shares no memory with its input
_COPY_FORMS = """alias as_strided detach diagonal expand permute select slice split split_with_sizes squeeze t transpose
    unbind unfold unsqueeze view""".split()


def _copy_form(name):
    def f(input, *args, **kwargs):
        if name == "alias":
            return input.clone()
        if name == "slice":  # slice_copy(input, dim=0, start=None, end=None, step=1)
            dim, start, end, step = (list(args) + [0, None, None, 1][len(args):])[:4]
            key = [slice(None)] * input.ndim
            key[dim] = slice(start, end, step)
            return input[tuple(key)].clone()
        out = getattr(input, name)(*args, **kwargs)
        return tuple(o.clone() for o in out) if isinstance(out, tuple) else out.clone()
    f.__name__ = f.__qualname__ = name + "_copy"
    return f


globals().update({n + "_copy": _copy_form(n) for n in _COPY_FORMS})


def is_same_size(input, other):
    return input.is_same_size(other)


def get_device(input):
    return input.get_device()


def set_default_tensor_type(t):
    """Deprecated in PyTorch: FloatTensor/DoubleTensor (or their names) set the default float dtype."""
    name = t if isinstance(t, str) else getattr(t, "__name__", "")
    table = {"torch.FloatTensor": float32, "FloatTensor": float32, "torch.DoubleTensor": float64,
             "DoubleTensor": float64}
    if name not in table:
        raise TypeError(f"set_default_tensor_type: only FloatTensor and DoubleTensor are supported, got {t!r}")
    set_default_dtype(table[name])


def set_flush_denormal(mode):
    """False: NumPy exposes no flush-to-zero control, so the mode is not supported (as on CPUs without SSE3)."""
    return False


def init_num_threads():
    """Nothing to initialise: fastnn's thread pools start with the process."""


def detach(input):
    return input.detach()


def fill(input, value):
    return full_like(input, value.item() if isinstance(value, Tensor) else value)


def rsub(input, other, alpha=1):
    return sub(other, input, alpha=alpha)


def chain_matmul(*matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def frobenius_norm(input, dim, keepdim=False):
    return linalg.vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, keepdim=False):
    return linalg.matrix_norm(input, "nuc", keepdim=keepdim)


# torch.x forms of nn.functional ops whose positional signature PyTorch keeps the same at both paths
# (taken from fastnn.nn.functional when it has them)
_FROM_FUNCTIONAL = """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool1d max_pool2d max_pool3d
    avg_pool1d pixel_shuffle pixel_unshuffle channel_shuffle cosine_similarity pairwise_distance prelu rrelu
    bilinear""".split()
globals().update({_n: getattr(nn.functional, _n) for _n in _FROM_FUNCTIONAL if hasattr(nn.functional, _n)})
from .torch_functional_forms import (  # noqa: E402,F401  (torch.x keywords differ from F.x's)
    dropout, alpha_dropout, feature_alpha_dropout, layer_norm, group_norm)


def result_type(tensor1, tensor2):
    return _result_type(tensor1, tensor2)


def is_floating_point(input):
    return input.is_floating_point()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0  # (`bool` here is the dtype)


def is_storage(obj):
    return False


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def clone(input, *, memory_format=None):
    return input.clone()


def __getattr__(name):
    # fastnn.bfloat16: looked up in the optional ml_dtypes package on first use (autograd/dtypes.py says why)
    if name == "bfloat16":
        from .autograd.dtypes import bfloat16_dtype
        return bfloat16_dtype()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_idle_threads.restore_environment()
