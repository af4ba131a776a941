"""torch.nn.modules.linear's import path: linear layers (defined in fastnn.nn)."""
from ..linear import (Linear, Identity, Bilinear)
from ..lazy import (LazyLinear)



class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's output projection (a Linear that its quantization tooling skips);
    code names it when allow-listing classes for torch.load."""


__all__ = ["Linear", "Identity", "Bilinear", "LazyLinear", "NonDynamicallyQuantizableLinear"]
