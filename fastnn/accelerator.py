"""torch.accelerator (PyTorch >= 2.6's device-agnostic idiom) as a CPU-only library answers it: no accelerator.

Example scripts write `torch.accelerator.current_accelerator() if torch.accelerator.is_available() else
torch.device("cpu")`; that picks the CPU here. Calls that need an accelerator raise as PyTorch's do without one."""


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0


def _none(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_index = current_device_idx = set_device_index = set_device_idx = synchronize = _none
current_stream = set_stream = device_index = _none
