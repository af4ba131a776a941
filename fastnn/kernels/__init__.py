"""Compiled kernels (from csrc/*.pyx), one module per kernel family.

`fastnn.kernels.reference` has a pure-NumPy twin of every kernel with the same
name and signature; `fastnn.kernels.registry` lists them with benchmark shapes.
"""
import importlib

FAMILIES = ("softmax", "linear", "conv", "rnn", "graph", "attention")


def _import_families():
    """Import the compiled families (fastnn._idle_threads has set their thread policy)."""
    modules = {}
    for family in FAMILIES:
        try:
            modules[family] = importlib.import_module(f"fastnn.kernels._{family}")
        except ModuleNotFoundError as err:  # family not written yet, or built without it
            if err.name != f"fastnn.kernels._{family}":
                raise
    return modules


compiled_modules = _import_families()

for _module in compiled_modules.values():
    for _name in getattr(_module, "__all__", [n for n in dir(_module) if not n.startswith("_")]):
        _obj = getattr(_module, _name)
        if callable(_obj) and getattr(_obj, "__module__", None) == _module.__name__:
            globals()[_name] = _obj


def kernel_names():
    """Names of all compiled kernel entry points."""
    return sorted(
        name for m in compiled_modules.values() for name in dir(m)
        if not name.startswith("_") and callable(getattr(m, name))
        and getattr(getattr(m, name), "__module__", None) == m.__name__
    )
