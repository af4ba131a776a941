"""torch.cuda as a CPU-only library answers it: no GPU, and the seeding calls scripts make are harmless."""
from ..device import DeviceUnavailableError


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No CUDA generator to seed (PyTorch ignores this call without CUDA too)."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """Nothing runs asynchronously on the CPU."""


def empty_cache():
    """No device memory to release."""


def current_device():
    raise DeviceUnavailableError("Torch not compiled with CUDA enabled (fastnn runs on the CPU only)")


def get_device_name(device=None):
    raise DeviceUnavailableError("Torch not compiled with CUDA enabled (fastnn runs on the CPU only)")


def is_bf16_supported(including_emulation=True):
    return False


from . import amp  # noqa: E402,F401
