"""DataParallel: PyTorch's single-process multi-GPU wrapper. With no GPUs it runs the module as it is (PyTorch
does the same when no CUDA device is visible); fastnn's kernels already use every core through OpenMP."""
from ...device import check_cpu
from ..module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got {type(module).__name__}")
        if device_ids:
            raise ValueError(f"DataParallel: device_ids={device_ids!r} names GPUs; fastnn runs on the CPU only")
        check_cpu(output_device, "output_device")
        if not isinstance(dim, int):
            raise TypeError(f"DataParallel: dim must be an int, got {type(dim).__name__}")
        self.module, self.device_ids, self.output_device, self.dim = module, [], None, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
