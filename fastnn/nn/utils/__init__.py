"""nn.utils: gradient clipping and parameter/vector conversion."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: E402
from .weight_norm import weight_norm, remove_weight_norm, spectral_norm, remove_spectral_norm  # noqa: E402
from . import parametrize, parametrizations  # noqa: E402
from .rnn import PackedSequence  # noqa: E402,F401
