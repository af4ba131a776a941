"""Timing of the kernel registry (and model steps): compiled vs NumPy reference vs PyTorch.

Used by `fastnn bench`; bench/ runs the same cases under pytest-benchmark.
"""
import time

import numpy as np

from .kernels import registry


def median_time(fn, repeat=7, warmup=1, min_time=0.05):
    """Median seconds per call; each timed sample loops enough calls to last min_time."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(min_time / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return float(np.median(samples))


def model_cases():
    """Whole training steps, as (name, fastnn_step, torch_step_or_None) factories."""
    from .bench_steps import STEPS
    return STEPS


def run_benchmarks(name_filter=None, repeat=7, reference=True, torch=True, progress=False):
    from . import kernels
    from .kernels import reference as ref
    use_torch = torch and registry.torch_available()
    if use_torch:
        import torch as _torch
        _torch.set_num_threads(__import__("fastnn").get_num_threads())
    rows = []
    cases = [c for c in registry.all_cases() if not name_filter or name_filter in c.name]
    for case in cases:
        if progress:
            print(f"timing {case.name} ...", flush=True)
        inputs = case.make_inputs(np.random.default_rng(0))
        row = {"case": case.name, "family": case.family,
               "fastnn_ms": 1e3 * median_time(lambda: case.run(kernels, inputs), repeat)}
        if reference and case.reference:
            row["reference_ms"] = 1e3 * median_time(lambda: case.run(ref, inputs), max(3, repeat // 2), min_time=0)
        if use_torch and case.torch_setup is not None:
            step = case.torch_setup(inputs)
            row["torch_ms"] = 1e3 * median_time(step, repeat)
        rows.append(row)
    for name, make in model_cases():
        if name_filter and name_filter not in name:
            continue
        if progress:
            print(f"timing {name} ...", flush=True)
        fast_step, torch_step = make(use_torch)
        row = {"case": name, "family": "model", "fastnn_ms": 1e3 * median_time(fast_step, repeat)}
        if torch_step is not None:
            row["torch_ms"] = 1e3 * median_time(torch_step, repeat)
        rows.append(row)
    for row in rows:
        if "reference_ms" in row:
            row["speedup_vs_reference"] = row["reference_ms"] / row["fastnn_ms"]
        if "torch_ms" in row:
            row["speedup_vs_torch"] = row["torch_ms"] / row["fastnn_ms"]
    return rows


def format_markdown(rows):
    head = "| case | fastnn ms | NumPy ref ms | PyTorch ms | × vs ref | × vs PyTorch |\n|---|---:|---:|---:|---:|---:|"
    lines = [head]

    def f(row, key, fmt):
        return fmt.format(row[key]) if key in row else "–"
    for r in rows:
        lines.append(f"| {r['case']} | {f(r, 'fastnn_ms', '{:.3f}')} | {f(r, 'reference_ms', '{:.3f}')} | "
                     f"{f(r, 'torch_ms', '{:.3f}')} | {f(r, 'speedup_vs_reference', '{:.1f}')} | "
                     f"{f(r, 'speedup_vs_torch', '{:.2f}')} |")
    return "\n".join(lines)
