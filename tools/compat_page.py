"""Count fastnn's coverage of PyTorch's public API and write docs/compatibility.md.

    python tools/compat_page.py            # writes docs/compatibility.md, prints the table

Counted against the installed torch (2.13 here), namespace by namespace: a name is supported when
fastnn has it at the same path. Names that cannot apply to a CPU-only NumPy library (CUDA, quantized,
MKL-DNN, nested and semi-structured sparse tensors, ...) are listed with the reason and left out of
the totals. `DIFFERS` names supported names whose behaviour is documented to differ from PyTorch's.
"""
import importlib
import inspect
import os
import re
import sys
import types

# (pattern over the name, reason): names that do not apply on a CPU-only NumPy library
NOT_APPLICABLE = [
    (r"cuda|cudnn|_cu$|^cu[A-Z_]", "CUDA only"),
    (r"mps|xpu|ipu|hpu|mtia|vulkan|metal|hip$|^is_vulkan|privateuse", "another accelerator"),
    (r"quantiz|^q_|^q[A-Z]|dequantize|int_repr|fake_quant|fbgemm|qscheme|^quantized|per_channel|^is_quantized",
     "quantized tensors"),
    (r"mkldnn|miopen|onednn|^mkl", "vendor kernel library"),
    (r"nested|to_padded_tensor", "nested tensors"),
    (r"semi_structured|^to_sparse_bsr|^to_sparse_bsc|^sparse_bsr|^sparse_bsc|ccol_indices|row_indices",
     "block/semi-structured sparse layouts"),
    (r"complex|conj|^real$|^imag$|^angle$|polar|view_as_real|view_as_complex|is_neg$|resolve_neg|_conj",
     "complex numbers (no complex dtypes)"),
    (r"^eig$|^eigvals$", "complex results: a general matrix's eigenvalues are complex (no complex dtypes)"),
    (r"^align_|refine_names|rename|^names$|has_names|^unflatten_named", "named tensors (prototype)"),
    (r"DataPipe|DataChunk|datapipe|^argument_validation$|^runtime_validation|^non_deterministic$",
     "DataPipes (deprecated in PyTorch; torchdata removed them)"),
    (r"^(grouped_mm|scaled_mm|scaled_grouped_mm|ScalingType|SwizzleType)$", "float8 / grouped GEMMs for GPUs"),
    (r"torch_function|^boolean_dispatch$|^assert_int_or_pair$", "PyTorch-internal dispatch helpers"),
    (r"^storage|untyped_storage|^_storage|^set_$|^share_memory_$|^is_shared$|data_ptr|^pin_memory$|^is_pinned$",
     "storage and device memory (kept where harmless)"),
]
DIFFERS = {
    "Tensor": "`Tensor(2, 3)` gives zeros, not uninitialised memory",
    "to_sparse": "returns a COO tensor backed by the CSR kernels; every dim sparse (hybrid sparse_dim/dense_dim "
                 "and blocksize raise NotImplementedError)",
    "resize_": "new elements are zeros",
    "float16": "NumPy's half: stored, converted and computed in NumPy (no fused half kernels)",
    "set_default_dtype": "float32 and float64 only",
    "set_flush_denormal": "returns False: NumPy's arithmetic keeps denormals",
    "set_float32_matmul_precision": "an unknown name raises (PyTorch warns and ignores it)",
    "pin_memory": "a copy: there is no device memory on the CPU (PyTorch without an accelerator raises)",
    "scatter_reduce": "no gradient for prod/amax/amin or include_self=False",
    "lstsq": "every driver returns the minimum-norm solution (for rank-deficient A, gelsy's basic solution differs)",
    "as_strided": "no gradient",
    "in-place ops (x_)": "on a view of a tensor in the autograd graph, or on a tensor an earlier operation in the "
                        "graph already used, they raise instead of rebasing the view's history; so does writing a "
                        "value that requires grad into a view; `x += y` in the graph rebinds x to a new tensor",
    "int": "`Tensor.int()` is int32 and `torch.int` is int32, as in PyTorch",
}


def op_table_names(root):
    """Names with rows in the op table (tests/ops/op_db*.py), or None when the tests are not there."""
    if not os.path.isdir(os.path.join(root, "tests", "ops")):
        return None
    sys.path.insert(0, root)
    try:
        from tests.ops.op_db import ROWS
    except ImportError:
        return None
    finally:
        sys.path.remove(root)
    return {r.name.split(".")[-1] for r in ROWS}


# namespaces whose every supported name must have an op-table row (modules, optimizers, schedulers and
# data utilities are compared with PyTorch by their own tests)
ROW_NAMESPACES = ("torch.Tensor methods", "torch.* functions", "torch.linalg")


def untested(supported, tested):
    """The supported names without an op-table row (an in-place x_ counts as tested with x)."""
    return [n for n in supported if n not in tested and n.rstrip("_") not in tested]


def _public(module):
    return [n for n in dir(module) if not n.startswith("_")]


def namespaces(torch):
    """namespace -> (torch object, fastnn path, [public names])."""
    import torch.nn.functional as F
    import torch.nn.init as init
    import torch.utils.data as data
    from torch.optim import lr_scheduler
    nn = torch.nn
    ns = {
        "torch.nn modules": ("torch.nn", "fastnn.nn", [
            n for n in _public(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module)]),
        "torch.nn.functional": ("torch.nn.functional", "fastnn.nn.functional", [
            n for n in _public(F) if callable(getattr(F, n))
            and (getattr(getattr(F, n), "__module__", "") or "").startswith("torch")]),
        "torch.Tensor methods": ("torch.Tensor", "fastnn.Tensor", _public(torch.Tensor)),
        "torch.* functions": ("torch", "fastnn", [
            n for n in _public(torch) if callable(getattr(torch, n)) and not inspect.isclass(getattr(torch, n))
            and not isinstance(getattr(torch, n), types.ModuleType)]),
        "torch.optim optimizers": ("torch.optim", "fastnn.optim", [
            n for n in _public(torch.optim) if inspect.isclass(getattr(torch.optim, n))
            and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)]),
        "torch.optim.lr_scheduler": ("torch.optim.lr_scheduler", "fastnn.optim.lr_scheduler", [
            n for n in _public(lr_scheduler) if inspect.isclass(getattr(lr_scheduler, n))
            and getattr(lr_scheduler, n).__module__ == "torch.optim.lr_scheduler"]),
        "torch.nn.init": ("torch.nn.init", "fastnn.nn.init", [
            n for n in _public(init) if callable(getattr(init, n)) and getattr(getattr(init, n), "__module__", "")
            == "torch.nn.init"]),
        "torch.utils.data": ("torch.utils.data", "fastnn.utils.data", [
            n for n in data.__all__ if not n.startswith("_")]),
        "torch.linalg": ("torch.linalg", "fastnn.linalg", [
            n for n in _public(torch.linalg) if callable(getattr(torch.linalg, n))]),
    }
    return ns


def _resolve(path):
    mod, _, attr = path.rpartition(".")
    try:
        if path in ("fastnn.Tensor",):
            return importlib.import_module("fastnn").Tensor
        return importlib.import_module(path)
    except ImportError:
        try:
            return getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError):
            return None


def not_applicable(name):
    for pattern, reason in NOT_APPLICABLE:
        if re.search(pattern, name):
            return reason
    return None


def count(torch):
    """namespace -> dict(supported=[...], missing=[...], na={name: reason}, total=int)."""
    out = {}
    for title, (tpath, fpath, names) in namespaces(torch).items():
        target = _resolve(fpath)
        row = {"supported": [], "missing": [], "na": {}}
        for n in sorted(set(names)):
            if target is not None and hasattr(target, n):
                row["supported"].append(n)
                continue
            reason = not_applicable(n)
            if reason:
                row["na"][n] = reason
            else:
                row["missing"].append(n)
        row["total"] = len(row["supported"]) + len(row["missing"])
        out[title] = row
    return out


def table(counts):
    lines = ["| namespace | supported | applicable total | not applicable on CPU |", "|---|---:|---:|---:|"]
    for title, r in counts.items():
        lines.append(f"| `{title}` | {len(r['supported'])} | {r['total']} | {len(r['na'])} |")
    return "\n".join(lines)


def page(counts, torch_version, tested=None):
    parts = [
        "# Compatibility with PyTorch",
        "",
        f"Generated by `python tools/compat_page.py` against torch {torch_version}. A name is *supported* when "
        "fastnn has it at PyTorch's path. Ops with rows in the op table (`tests/ops/op_db*.py`) are compared "
        "with PyTorch on values, dtypes, gradients and bad arguments; each namespace below lists the supported "
        "tensor ops that have no row yet (modules, optimizers and data utilities have their own comparison "
        "tests). Names that cannot apply to a CPU-only NumPy library are listed with the reason and are not "
        "counted.",
        "",
        table(counts),
        "",
        "## Supported, but different",
        "",
    ]
    for name, why in sorted(DIFFERS.items()):
        parts.append(f"* `{name}`: {why}")
    for title, r in counts.items():
        parts += ["", f"## `{title}`", "",
                  f"**Supported ({len(r['supported'])})**: " + (", ".join(f"`{n}`" for n in r["supported"]) or "none"),
                  "",
                  f"**Missing ({len(r['missing'])})**: " + (", ".join(f"`{n}`" for n in r["missing"]) or "none")]
        if tested is not None and title in ROW_NAMESPACES:
            rowless = untested(r["supported"], tested)
            parts += ["", f"**Supported without an op-table row yet ({len(rowless)})**: " +
                      (", ".join(f"`{n}`" for n in rowless) or "none")]
        if r["na"]:
            by_reason = {}
            for n, why in r["na"].items():
                by_reason.setdefault(why, []).append(n)
            parts += ["", f"**Not applicable on CPU ({len(r['na'])})**:"]
            for why, names in sorted(by_reason.items()):
                parts.append(f"* {why}: " + ", ".join(f"`{n}`" for n in names))
    return "\n".join(parts) + "\n"


def main(argv=None):
    import torch
    counts = count(torch)
    print(table(counts))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "docs", "compatibility.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(page(counts, torch.__version__, op_table_names(root)))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
