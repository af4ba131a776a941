"""torch.backends as scripts probe it: no cuDNN and no MPS on a CPU-only library."""
import types

cudnn = types.SimpleNamespace(is_available=lambda: False, enabled=False, deterministic=False, benchmark=False)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
