"""The one backend handle through which autograd Functions reach the kernels.

Each kernel family has a compiled module (`fastnn.kernels._<family>`, from
`csrc/<family>.pyx`) and a NumPy twin (`fastnn.kernels.reference.<family>`)
with the same names and signatures. `family(name)` returns a namespace whose
attributes are that family's kernels on the current backend; `set_backend`
rebinds every namespace in place, so a Function that looked its family up once
at import time always calls the backend in use (one attribute lookup per call,
as cheap as a module attribute).

A family whose compiled module is missing (a build with FASTNN_KERNELS, or a
failed compile) runs on its reference, with one warning at import.
"""
import importlib
import os
import types
import warnings

# The one list of kernel families: csrc/X.pyx, kernels/reference/X.py,
# kernels/cases/X.py and autograd/native/X.py exist for each.
FAMILIES = ("softmax", "linear", "conv", "rnn", "graph", "attention", "norm", "optim", "dropout", "heads", "activation")
BACKENDS = ("compiled", "reference")


def _import_compiled(name):
    try:
        return importlib.import_module(f"fastnn.kernels._{name}")
    except ModuleNotFoundError as err:
        if err.name != f"fastnn.kernels._{name}":
            raise
        return None


def _public_kernels(module):
    """name -> function for a kernel module's entry points (not what it imported)."""
    return {n: getattr(module, n) for n in dir(module)
            if not n.startswith("_") and callable(getattr(module, n))
            and getattr(getattr(module, n), "__module__", None) == module.__name__}


compiled_modules = {}
reference_modules = {}
for _name in FAMILIES:
    reference_modules[_name] = importlib.import_module(f"fastnn.kernels.reference.{_name}")
    _module = _import_compiled(_name)
    if _module is not None:
        compiled_modules[_name] = _module

_missing = [f for f in FAMILIES if f not in compiled_modules]
if _missing:
    warnings.warn(f"fastnn: compiled kernels missing for {', '.join(_missing)}; "
                  f"those families run on the NumPy reference (slow)", RuntimeWarning, stacklevel=2)

_handles = {name: types.SimpleNamespace() for name in FAMILIES}
_state = {"backend": None}


def family(name):
    """The namespace of family `name`'s kernels on the current backend (updated in place)."""
    try:
        return _handles[name]
    except KeyError:
        raise ValueError(f"family must be one of {FAMILIES}, got {name!r}") from None


def _bind(name, backend):
    module = compiled_modules.get(name) if backend == "compiled" else None
    source = module if module is not None else reference_modules[name]
    handle = _handles[name]
    handle.__dict__.clear()
    handle.__dict__.update(_public_kernels(source))
    handle.__dict__["__backend__"] = "compiled" if module is not None else "reference"


def set_backend(name):
    """Run every kernel on "compiled" (default) or "reference" (the NumPy twins: an end-to-end oracle)."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    for f in FAMILIES:
        _bind(f, name)
    _state["backend"] = name


def get_backend():
    return _state["backend"]


def family_backends():
    """family -> the backend its kernels run on now ("compiled" or "reference")."""
    return {f: _handles[f].__backend__ for f in FAMILIES}


set_backend(os.environ.get("FASTNN_BACKEND", "compiled") or "compiled")
