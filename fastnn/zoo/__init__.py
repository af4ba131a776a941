"""`fastnn zoo`: train catalogue models on real data and report a results table.

Each entry names a module with `train(quick, data_dir, plot_dir, seed, **options) -> dict`
giving model, data, metric, value and seconds, and the options that select the variant.
"""
import importlib
import sys
import time

ENTRIES = {
    "perceptron": "fastnn.zoo.perceptron",
    "mlp": "fastnn.zoo.mlp",
    "lenet": "fastnn.zoo.lenet",
    "autoencoder": "fastnn.zoo.autoencoder",
    "rnn": ("fastnn.zoo.forecast", {"cell": "rnn"}),
    "lstm": ("fastnn.zoo.charlm", {"cell": "lstm"}),
    "gru": ("fastnn.zoo.charlm", {"cell": "gru"}),
    "transformer": "fastnn.zoo.transformer",
}


def progress(iterable, desc="", total=None):
    """A tqdm progress bar on a terminal; silent otherwise."""
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, total=total, leave=False, disable=not sys.stderr.isatty())


def run(names=None, quick=False, data_dir=None, plot_dir=None, seed=0):
    names = list(names or ENTRIES)
    unknown = [n for n in names if n not in ENTRIES]
    if unknown:
        raise ValueError(f"unknown zoo model(s) {unknown}; choose from {sorted(ENTRIES)}")
    results = []
    for name in names:
        entry = ENTRIES[name]
        module_name, options = entry if isinstance(entry, tuple) else (entry, {})
        module = importlib.import_module(module_name)
        start = time.perf_counter()
        result = module.train(quick=quick, data_dir=data_dir, plot_dir=plot_dir, seed=seed, **options)
        result.setdefault("seconds", time.perf_counter() - start)
        result["name"] = name
        results.append(result)
    return results


def format_table(results):
    rows = [("model", "data", "metric", "value", "seconds")]
    for r in results:
        rows.append((r["model"], r["data"], r["metric"], f"{r['value']:.4f}", f"{r['seconds']:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


from .plots import plot_curves, plot_image_rows  # noqa: E402,F401
