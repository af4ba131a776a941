"""torch.device: where a tensor lives. fastnn computes on the CPU only.

Other device types can be named (code that builds `device("cuda" if
cuda.is_available() else "cpu")` runs), but moving a tensor or module to one
raises an error that names the device.
"""

_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


class DeviceUnavailableError(AssertionError, RuntimeError, ValueError):
    """A tensor or module sent to a device this CPU-only library lacks. PyTorch built without CUDA
    raises AssertionError ("Torch not compiled with CUDA enabled"); fastnn's callers have caught
    RuntimeError and ValueError, so it is all three."""


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 (PyTorch's argument name)
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device() type must be a str such as 'cpu', got {type!r}")
        name, colon, number = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        if colon:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must be a non-negative int, got {index!r}")
        self.type, self.index = name, index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):  # lenient where PyTorch is strict: x.device == "cpu" reads naturally
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def check_cpu(value, name="device"):
    """Accept None, 'cpu' or device('cpu'); anything else is an error naming the device."""
    if value is None:
        return
    try:
        d = device(value)
    except (TypeError, RuntimeError) as err:
        raise ValueError(f"{name}: {err}") from None
    if d.type != "cpu":
        raise DeviceUnavailableError(f"fastnn runs on the CPU only, got {name} {str(d)!r}")
