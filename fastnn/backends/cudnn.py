"""torch.backends.cudnn: the flags scripts set (benchmark, deterministic) are kept and have no effect on the CPU."""
enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
