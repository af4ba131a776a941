"""torch.backends as scripts probe and set it: real modules (so `import torch.backends.cudnn as cudnn` works),
with PyTorch's flags, on a CPU-only library: no cuDNN, CUDA or MPS to use, so their flags change nothing here."""
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
