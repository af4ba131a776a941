"""torch.nn.modules: PyTorch's import paths for the layers (each submodule re-exports fastnn.nn's classes)."""
from . import (module, linear, conv, loss, activation, container, rnn, batchnorm, instancenorm,  # noqa: F401
               normalization, dropout, pooling, sparse, transformer, padding, pixelshuffle, channelshuffle, fold,
               distance, flatten, upsampling, lazy, utils)
from .module import Module  # noqa: F401
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
