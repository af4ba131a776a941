"""torch.cuda as a CPU-only library answers it: no GPU, and the seeding calls scripts make are harmless."""


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
