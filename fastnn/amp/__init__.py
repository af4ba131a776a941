"""torch.amp: autocast and GradScaler as they behave on a CPU-only machine (see autocast_mode, grad_scaler)."""
from .autocast_mode import autocast, is_autocast_available, custom_fwd, custom_bwd  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401
