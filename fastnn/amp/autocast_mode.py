"""autocast: mixed-precision regions.

PyTorch's CPU autocast runs matmul and convolution in bfloat16. fastnn's kernels are float32/float64 only, so an
autocast("cpu") region runs in float32: the same code runs and gives results at least as accurate, without the
speed-up (said once in a warning). autocast("cuda") without CUDA is disabled with PyTorch's own warning."""
import functools
import warnings

_state = {"depth": 0, "warned_cpu": False}


def is_autocast_available(device_type):
    return device_type == "cpu"


def is_autocast_enabled(device_type=None):
    return _state["depth"] > 0


class autocast:
    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = enabled
        if enabled and device_type != "cpu":
            warnings.warn(f"{device_type.upper()} is not available. Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False
        elif enabled and not _state["warned_cpu"]:
            _state["warned_cpu"] = True
            warnings.warn("fastnn runs autocast('cpu') regions in float32 (its kernels have no bfloat16 path): "
                          "results are float32, as accurate as or more than PyTorch's bfloat16 ones", UserWarning,
                          stacklevel=2)

    def __enter__(self):
        if self._enabled:
            _state["depth"] += 1
        return self

    def __exit__(self, *exc):
        if self._enabled:
            _state["depth"] -= 1
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type="cpu", cast_inputs=None):
    """Decorator for a custom Function's forward under autocast: runs it as it is (no casting happens here)."""
    if fwd is None:
        return lambda f: f
    return fwd


def custom_bwd(bwd=None, *, device_type="cpu"):
    if bwd is None:
        return lambda f: f
    return bwd
