"""nn.utils: gradient clipping, parameter/vector conversion, packed sequences, weight and spectral norm,
parametrizations, batch-norm fusion and functional_call."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: E402
from .weight_norm import weight_norm, remove_weight_norm, spectral_norm, remove_spectral_norm  # noqa: E402
from . import parametrize, parametrizations  # noqa: E402
from .rnn import PackedSequence  # noqa: E402,F401
from .clip_grad import get_total_norm, clip_grads_with_norm_, clip_grad_norm  # noqa: E402,F401
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: E402,F401
                     fuse_linear_bn_weights)
from . import fusion, stateless, clip_grad, convert_parameters  # noqa: E402,F401


def skip_init(module_cls, *args, **kwargs):
    """Build module_cls(*args, **kwargs) without its initialisation having to matter: fastnn runs the
    constructor (cheap on the CPU) and leaves the values as they are, to be overwritten."""
    if "device" not in module_cls.__init__.__code__.co_varnames:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
