"""Timing of the kernel registry (and model steps): compiled vs NumPy reference vs PyTorch.

Used by `fastnn bench`; bench/ runs the same cases under pytest-benchmark.
"""
import importlib.util
import time

import numpy as np

from ..kernels import registry
from .calls import loops_for as _loops_for, sample as _sample


class _InProcess:
    """A zero-argument function timed in this process (the other kind of timer is
    torch_side.TorchSide, which times PyTorch's call in a process of its own)."""

    def __init__(self, fn):
        self.fn = fn

    def loops_for(self, warmup, min_time):
        return _loops_for(self.fn, warmup, min_time)

    def sample(self, loops):
        return _sample(self.fn, loops)


# Pause before each sample when several functions take turns. An OpenMP runtime keeps its idle
# workers spinning for a while after a parallel region: PyTorch's (libgomp's default) burned 8-11 ms
# of CPU in the ~10 ms after its sample ended (AMD EPYC Zen 5, 2 threads), so the sample that
# followed shared the two cores with it for its first fifth. Neither library meets the other's
# spin in a user's process; 30 ms lets it run out (fastnn's own spin is microseconds).
SETTLE_SECONDS = 0.03


def sample_times(fns, repeat=7, warmup=1, min_time=0.05, settle=SETTLE_SECONDS):
    """Seconds per call of each function, one sample per round: a list per function.

    fns: zero-argument functions, or timers with loops_for(warmup, min_time) and sample(loops).
    Each timed sample loops enough calls to last min_time. The functions take
    turns sample by sample, so load from other tenants of a shared machine
    falls on all of them alike and their ratio stays fair; with more than one
    function, each sample starts `settle` seconds after the previous one ended.
    """
    timers = [fn if hasattr(fn, "sample") else _InProcess(fn) for fn in fns]
    loops = [timer.loops_for(warmup, min_time) for timer in timers]
    samples = [[] for _ in timers]
    for _ in range(repeat):
        for timer, n, out in zip(timers, loops, samples):
            if len(timers) > 1 and settle > 0:
                time.sleep(settle)
            out.append(timer.sample(n))
    return samples


def median_times(fns, repeat=7, warmup=1, min_time=0.05):
    """Median seconds per call of each function (see sample_times)."""
    return [float(np.median(s)) for s in sample_times(fns, repeat, warmup, min_time)]


def _timed_row(row, fns, repeat):
    """Time fns ({"fastnn_ms": f, "torch_ms": g?}) in turns: row["samples"] gets each key's samples."""
    samples = sample_times(list(fns.values()), repeat)
    row["samples"] = dict(zip(fns, samples))


def median_time(fn, repeat=7, warmup=1, min_time=0.05):
    """Median seconds per call of one function (see median_times)."""
    return median_times([fn], repeat, warmup, min_time)[0]


def model_cases():
    """Whole training steps, as (name, make) with make(use_torch) -> (fastnn_step, torch_step_or_None)."""
    from .steps import STEPS
    return STEPS


def layer_cases():
    """The kernel cases' shapes through the public layers, as model_cases."""
    from .layers import LAYERS
    return LAYERS


def layer_flops(name):
    """The arithmetic of a GEMM-bound public-layer case, or None."""
    from .layers import FLOPS
    return FLOPS.get(name)


def run_benchmarks(name_filter=None, repeat=7, reference=True, torch=True, progress=False, load=0, rounds=1):
    """Rows of timings: every kernel case, then its public-layer twin, then whole training steps.
    load: busy-looping processes running beside the whole run (fastnn.bench.load); each row
    records it, with the 1-minute load average just before it started.
    rounds: passes over all the cases, `repeat` samples of each case per pass. A shared machine's
    slow spells last seconds to minutes, long enough to cover all of one case's samples; spread
    over rounds a minute apart, a case's median no longer rests on one spell."""
    from .load import background_load, load_average
    from .torch_side import TorchSide
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    before = load_average()   # other tenants' load, before ours starts
    with background_load(load):
        if torch and importlib.util.find_spec("torch") is not None:
            with TorchSide(_threads()) as side:
                rows = _run_benchmarks(name_filter, repeat, reference, side, progress, rounds)
        else:
            rows = _run_benchmarks(name_filter, repeat, reference, None, progress, rounds)
    for row in rows:
        row["load"] = load
        if before is not None:
            row["load_average"] = before
    return rows


def _run_benchmarks(name_filter, repeat, reference, torch_side, progress, rounds):
    """torch_side: a TorchSide that times PyTorch's calls in its own process, or None."""
    from .peak import sgemm_peak_gflops
    cases = [c for c in registry.all_cases() if not name_filter or name_filter in c.name]
    gemm_bound = any(c.flops for c in cases) or any(
        layer_flops(name) for name, _ in layer_cases() if not name_filter or name_filter in name)
    # probed before and after the cases, the best kept: other tenants of a shared machine may load one probe
    peaks = [sgemm_peak_gflops()] if gemm_bound else []
    passes = []
    for index in range(rounds):
        if progress and rounds > 1:
            print(f"round {index + 1} of {rounds}", flush=True)
        # the NumPy reference is a fixed yardstick, not a race: timed in the first round only
        passes.append(_one_round(cases, name_filter, repeat, reference and index == 0, torch_side, progress))
    if gemm_bound:
        peaks.append(sgemm_peak_gflops())
    rows = [_merged(same_case, rounds) for same_case in zip(*passes)]
    for row in rows:
        if peaks:
            row["sgemm_peak_gflops"] = max(peaks)
            if "gflops" in row:
                row["peak_fraction"] = row["gflops"] / row["sgemm_peak_gflops"]
        if "reference_ms" in row:
            row["speedup_vs_reference"] = row["reference_ms"] / row["fastnn_ms"]
    return rows


def _one_round(cases, name_filter, repeat, reference, torch_side, progress):
    """One pass over every case: rows with their raw samples, in the same order every round."""
    from .. import kernels
    from ..kernels import reference as ref
    rows = []
    for case in cases:
        if progress:
            print(f"timing {case.name} ...", flush=True)
        inputs = case.make_inputs(np.random.default_rng(0))
        fns = {"fastnn_ms": lambda: case.run(kernels, inputs)}
        if torch_side is not None and case.torch_setup is not None and torch_side.prepare("kernel", case.name):
            fns["torch_ms"] = torch_side
        row = {"case": case.name, "family": case.family, "kernels": list(case.kernels), "flops": case.flops}
        _timed_row(row, fns, repeat)
        if reference and case.reference:
            # Timed apart: NumPy's BLAS threads keep spinning after a call and would slow the next sample.
            row["reference_ms"] = 1e3 * median_time(lambda: case.run(ref, inputs), max(3, repeat // 2), min_time=0)
        rows.append(row)
    for family, entries in (("layer", layer_cases()), ("model", model_cases())):
        for name, make in entries:
            if name_filter and name_filter not in name:
                continue
            if progress:
                print(f"timing {name} ...", flush=True)
            fast_step, _ = make(False)
            fns = {"fastnn_ms": fast_step}
            if torch_side is not None and torch_side.prepare(family, name):
                fns["torch_ms"] = torch_side
            row = {"case": name, "family": family, "flops": layer_flops(name) if family == "layer" else None}
            _timed_row(row, fns, repeat)
            rows.append(row)
    return rows


def _merged(same_case, rounds):
    """One case's row from its rows of every round: medians over all samples; the ratio is the median
    of the per-sample-pair ratios torch / fastnn (pairs were timed side by side, so a slow spell falls
    on both), and with several rounds each round's median ratio is kept to show the spread."""
    row = {k: v for k, v in same_case[0].items() if k not in ("samples", "flops")}
    samples = {key: [t for r in same_case for t in r["samples"][key]] for key in same_case[0]["samples"]}
    row.update({key: 1e3 * float(np.median(s)) for key, s in samples.items()})
    if same_case[0]["flops"]:
        row["gflops"] = same_case[0]["flops"] / (row["fastnn_ms"] / 1e3) / 1e9
    if "torch_ms" in samples:
        row["speedup_vs_torch"] = float(np.median(np.array(samples["torch_ms"]) / np.array(samples["fastnn_ms"])))
        if rounds > 1:
            row["speedup_vs_torch_rounds"] = [
                float(np.median(np.array(r["samples"]["torch_ms"]) / np.array(r["samples"]["fastnn_ms"])))
                for r in same_case]
    if rounds > 1:
        row["rounds"] = rounds
    return row


def _threads():
    from .. import get_num_threads
    return get_num_threads()


def _spread(row):
    """The " (lowest-highest)" of a ratio's per-round medians, or "" for one round."""
    rounds = row.get("speedup_vs_torch_rounds")
    return f" ({min(rounds):.2f}-{max(rounds):.2f})" if rounds else ""


def format_markdown(rows):
    head = ("| case | fastnn ms | NumPy ref ms | PyTorch ms | × vs ref | × vs PyTorch | GFLOP/s | % of SGEMM peak |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|")
    peak = next((r["sgemm_peak_gflops"] for r in rows if "sgemm_peak_gflops" in r), None)
    lines = []
    if rows and "load" in rows[0]:
        avg = rows[0].get("load_average")
        lines.append(f"background load: {rows[0]['load']} busy-looping process(es) for the whole run"
                     + (f"; 1-minute load average before it started {avg:.2f}" if avg is not None else ""))
        lines.append("")
    if rows and rows[0].get("rounds"):
        lines.append(f"{rows[0]['rounds']} rounds over all the cases; × vs PyTorch is the median over every round's "
                     f"samples, in brackets the lowest and highest round's median")
        lines.append("")
    if peak:
        lines.append(f"SGEMM peak (best of large GEMMs through the kernels' BLAS, {_threads()} threads, probed before "
                     f"and after the cases): {peak:.1f} GFLOP/s")
        over = [r["case"] for r in rows if r.get("peak_fraction", 0) > 1]
        if over:
            lines.append(f"WARNING: {len(over)} case(s) beat the SGEMM peak ({'; '.join(over)}): the peak was measured "
                         f"under load (a busy shared machine), so the % of SGEMM peak column reads too high")
        lines.append("")
    lines.append(head)

    def f(row, key, fmt):
        return fmt.format(row[key]) if key in row else "–"
    for r in rows:
        lines.append(f"| {r['case']} | {f(r, 'fastnn_ms', '{:.3f}')} | {f(r, 'reference_ms', '{:.3f}')} | "
                     f"{f(r, 'torch_ms', '{:.3f}')} | {f(r, 'speedup_vs_reference', '{:.1f}')} | "
                     f"{f(r, 'speedup_vs_torch', '{:.2f}')}{_spread(r)} | {f(r, 'gflops', '{:.1f}')} | "
                     f"{('%.0f' % (100 * r['peak_fraction'])) if 'peak_fraction' in r else '–'} |")
    return "\n".join(lines)
