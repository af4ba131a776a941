"""Process-wide settings PyTorch code reads or sets: RNG state, print options, determinism flags,
matmul precision, interop threads, the default device. fastnn is deterministic on the CPU and computes
float32 matmuls in full float32, so the flags are recorded and reported back as PyTorch would."""
import numpy as np

from .autograd.tensor import Tensor, _wrap
from .device import check_cpu, CPU

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest", "interop_threads": 1,
          "anomaly": False, "anomaly_check_nan": True, "warn_always": False}


def get_rng_state():
    """The default generator's state as a uint8 tensor (NumPy's PCG64 state, serialised)."""
    import json
    from .autograd.random import default_generator
    blob = json.dumps(default_generator.get_state()).encode()
    return _wrap(np.frombuffer(blob, np.uint8).copy())


def set_rng_state(new_state):
    import json
    from .autograd.random import default_generator
    if not isinstance(new_state, Tensor) or new_state.dtype != np.uint8:
        raise TypeError("set_rng_state expects the uint8 tensor get_rng_state returned")
    default_generator.set_state(json.loads(new_state.numpy().tobytes().decode()))


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Tensor printing goes through NumPy's printer: these set its options."""
    presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, np.inf, 3, 80)}
    if profile is not None:
        if profile not in presets:
            raise ValueError(f"profile must be one of {sorted(presets)}, got {profile!r}")
        precision, threshold, edgeitems, linewidth = (
            v if v is not None else p for v, p in zip((precision, threshold, edgeitems, linewidth), presets[profile]))
    opts = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                  linewidth=linewidth).items() if v is not None}
    # as PyTorch, each call sets sci_mode: True forces scientific notation, False fixed point, None automatic
    digits = opts.get("precision", np.get_printoptions()["precision"])
    opts["suppress"] = sci_mode is False
    opts["formatter"] = {"float_kind": lambda v: np.format_float_scientific(v, precision=digits, unique=False,
                                                                            exp_digits=2)} if sci_mode else None
    np.set_printoptions(**opts)


def use_deterministic_algorithms(mode, *, warn_only=False):
    _state["deterministic"], _state["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes.get(debug_mode, debug_mode)
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of 'default', 'warn', 'error', got {debug_mode}")
    use_deterministic_algorithms(mode > 0, warn_only=mode == 1)


def get_deterministic_debug_mode():
    return 0 if not _state["deterministic"] else 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}; expected 'highest', 'high' or 'medium'")
    _state["matmul_precision"] = precision  # float32 GEMMs stay full float32 on the CPU either way


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def set_num_interop_threads(n):
    if n < 1:
        raise RuntimeError("Expected positive number of threads")
    _state["interop_threads"] = int(n)


def get_num_interop_threads():
    return _state["interop_threads"]


def set_anomaly_enabled(enabled, check_nan=True):
    _state["anomaly"] = bool(enabled)
    _state["anomaly_check_nan"] = bool(check_nan)


def is_anomaly_enabled():
    return _state["anomaly"]


def is_anomaly_check_nan_enabled():
    return _state["anomaly_check_nan"]


def set_warn_always(b):
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _state["warn_always"]


def get_default_device():
    return CPU


def set_default_device(device):
    check_cpu(device)

