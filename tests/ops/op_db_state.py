"""Op table rows: global state and flags (get_/set_ pairs, seeds, threads, print options), save/load
and compile. Each op sets, reads back and restores the state (in a finally: a leaked default dtype or
flag would change every later test) and returns the Python values PyTorch code reads."""
import io

from .opinfo import OpRow, S
from .op_db_tensor_api import _exc


def _dt(d):
    return str(d).replace("torch.", "")


def _row(name, op, samples=None, note="", **kw):
    return OpRow(name, samples or (lambda t: [S()]), op=op, dtypes=("float32",), grad=False, note=note, **kw)


def _default_dtype(lib):
    try:
        lib.set_default_dtype(lib.float64)
        out = (_dt(lib.get_default_dtype()), _dt(lib.tensor([1.5]).dtype), _dt(lib.zeros(2).dtype),
               _dt(lib.arange(0.0, 1.0, 0.5).dtype), _dt(lib.tensor([1]).dtype))
    finally:
        lib.set_default_dtype(lib.float32)
    return out + (_dt(lib.get_default_dtype()), _exc(lambda: lib.set_default_dtype(lib.int64)))


def _default_tensor_type(lib):
    try:
        lib.set_default_tensor_type(lib.DoubleTensor)
        out = (_dt(lib.get_default_dtype()), _dt(lib.ones(1).dtype))
        lib.set_default_tensor_type("torch.FloatTensor")
        out += (_dt(lib.get_default_dtype()),)
    finally:
        lib.set_default_dtype(lib.float32)
    return out


def _default_device(lib):
    try:
        lib.set_default_device("cpu")
        out = (str(lib.get_default_device()), str(lib.zeros(1).device))
    finally:
        lib.set_default_device(None)
    return out + (str(lib.get_default_device()),)


def _deterministic(lib):
    try:
        lib.use_deterministic_algorithms(True, warn_only=True)
        on = (lib.are_deterministic_algorithms_enabled(), lib.is_deterministic_algorithms_warn_only_enabled(),
              lib.get_deterministic_debug_mode())
        lib.use_deterministic_algorithms(True)
        on += (lib.is_deterministic_algorithms_warn_only_enabled(), lib.get_deterministic_debug_mode())
    finally:
        lib.use_deterministic_algorithms(False)
    return on + (lib.are_deterministic_algorithms_enabled(), lib.get_deterministic_debug_mode())


def _debug_mode(lib):
    out = []
    try:
        for mode in ("warn", 2, "default", 1):
            lib.set_deterministic_debug_mode(mode)
            out.append((lib.get_deterministic_debug_mode(), lib.are_deterministic_algorithms_enabled()))
    finally:
        lib.set_deterministic_debug_mode(0)
    return tuple(out) + (lib.get_deterministic_debug_mode(), _exc(lambda: lib.set_deterministic_debug_mode("x")))


def _matmul_precision(lib):
    before = lib.get_float32_matmul_precision()
    try:
        lib.set_float32_matmul_precision("high")
        out = (lib.get_float32_matmul_precision(),)
    finally:
        lib.set_float32_matmul_precision(before)
    return out + (lib.get_float32_matmul_precision(),)  # (a bad name: PyTorch warns, fastnn raises)


def _threads(lib):
    n = lib.get_num_threads()
    try:
        lib.set_num_threads(1)
        out = (lib.get_num_threads(),)
    finally:
        lib.set_num_threads(n)
    return out + (lib.get_num_threads() == n, type(n), n >= 1, _exc(lambda: lib.set_num_threads(0)))


def _interop(lib):
    # PyTorch allows one set_num_interop_threads per process, before parallel work: the get side and
    # the refusal of a bad count are what both libraries can be asked
    n = lib.get_num_interop_threads()
    return type(n), n >= 1, _exc(lambda: lib.set_num_interop_threads(0)), lib.init_num_threads()


def _rng_state(lib):
    state = lib.get_rng_state()
    a = lib.rand(5)
    lib.set_rng_state(state)
    b = lib.rand(5)
    return (bool((a == b).all()), _dt(state.dtype), state.ndim, _exc(lambda: lib.set_rng_state(lib.zeros(3))),
            _exc(lambda: lib.set_rng_state([1, 2])))


def _seeds(lib):
    g = lib.manual_seed(1234)
    out = (lib.initial_seed(), type(g).__name__ == "Generator", g.initial_seed())
    s = lib.seed()
    out += (type(s), s == lib.initial_seed(), 0 <= s < 2 ** 64)
    lib.manual_seed(5)
    a = lib.randn(3)
    lib.manual_seed(5)
    return out + (bool((a == lib.randn(3)).all()), _exc(lambda: lib.manual_seed(-2 ** 70)))


def _anomaly(lib):
    try:
        lib.set_anomaly_enabled(True)
        on = (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())
        lib.set_anomaly_enabled(True, False)
        on += (lib.is_anomaly_check_nan_enabled(),)
    finally:
        lib.set_anomaly_enabled(False)
    return on + (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())


def _grad_enabled(lib):
    out = [lib.is_grad_enabled()]
    with lib.no_grad():
        out.append(lib.is_grad_enabled())
        with lib.enable_grad():
            out.append(lib.is_grad_enabled())
    with lib.set_grad_enabled(False):
        out.append(lib.is_grad_enabled())
    return tuple(out) + (lib.is_grad_enabled(),)


def _warn_always(lib):
    try:
        lib.set_warn_always(True)
        on = lib.is_warn_always_enabled()
    finally:
        lib.set_warn_always(False)
    return on, lib.is_warn_always_enabled()


def _flush_denormal(lib):
    # PyTorch flushes on x86 and says True; fastnn (NumPy's arithmetic) cannot and says False (documented).
    # Both must tell the truth about what they did, and leave denormals alone once switched off.
    x = lib.tensor([1e-39], dtype=lib.float32)  # a float32 denormal
    try:
        supported = lib.set_flush_denormal(True)
        flushed = (x * 1.0).item() == 0.0
    finally:
        lib.set_flush_denormal(False)
    return type(supported), flushed == supported, (x * 1.0).item() != 0.0


def _printoptions(lib):
    x = lib.tensor([1.23456789, 100.0])
    try:
        lib.set_printoptions(precision=2)
        short = "1.23" in repr(x) and "1.2346" not in repr(x)
        lib.set_printoptions(threshold=5, edgeitems=2)
        summarised = "..." in repr(lib.arange(100))
        lib.set_printoptions(sci_mode=True)
        sci = "e+00" in repr(x)
    finally:
        lib.set_printoptions(profile="default")
    return short, summarised, sci, "1.2346" in repr(x), "..." in repr(lib.arange(100))


def _save_load(lib, x):
    obj = {"w": x, "n": 3, "nested": [x[0], {"s": "text"}], "t": (x.double(), lib.arange(4))}
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    back = lib.load(buf)
    return back["w"], back["n"], back["nested"][0], back["nested"][1]["s"], back["t"][0], back["t"][1]


def _compile(lib, x):
    # torch.compile's contract is the uncompiled result; PyTorch's side is that result, because
    # importing its compiler costs seconds
    f, m = (lambda a: (a * 2).sin()), lib.nn.Identity()
    if lib.__name__ != "torch":
        f, m = lib.compile(f), lib.compile(m)
    return f(x), m(x), callable(f)


ROWS = [
    _row("set_default_dtype", _default_dtype), _row("get_default_dtype", _default_dtype),
    _row("set_default_tensor_type", _default_tensor_type),
    _row("set_default_device", _default_device), _row("get_default_device", _default_device),
    _row("use_deterministic_algorithms", _deterministic), _row("are_deterministic_algorithms_enabled", _deterministic),
    _row("is_deterministic_algorithms_warn_only_enabled", _deterministic),
    _row("set_deterministic_debug_mode", _debug_mode), _row("get_deterministic_debug_mode", _debug_mode),
    _row("set_float32_matmul_precision", _matmul_precision), _row("get_float32_matmul_precision", _matmul_precision),
    _row("set_num_threads", _threads), _row("get_num_threads", _threads),
    _row("get_num_interop_threads", _interop), _row("set_num_interop_threads", _interop),
    _row("init_num_threads", _interop),
    _row("get_rng_state", _rng_state), _row("set_rng_state", _rng_state),
    _row("manual_seed", _seeds), _row("seed", _seeds), _row("initial_seed", _seeds),
    _row("set_anomaly_enabled", _anomaly), _row("is_anomaly_enabled", _anomaly),
    _row("is_anomaly_check_nan_enabled", _anomaly),
    _row("is_grad_enabled", _grad_enabled),
    _row("set_warn_always", _warn_always), _row("is_warn_always_enabled", _warn_always),
    _row("set_flush_denormal", _flush_denormal),
    _row("set_printoptions", _printoptions),
    _row("save", _save_load, lambda t: [S(t((2, 3)))]), _row("load", _save_load, lambda t: [S(t((2, 3)))]),
    _row("compile", _compile, lambda t: [S(t((2, 3)))]),
]
