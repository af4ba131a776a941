"""torch.cuda.amp (deprecated in PyTorch for torch.amp): the CUDA forms, which disable themselves without CUDA."""
from ..amp import GradScaler as _GradScaler, autocast as _autocast
from ..amp.autocast_mode import custom_fwd, custom_bwd  # noqa: F401


class autocast(_autocast):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
