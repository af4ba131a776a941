"""`fastnn zoo`: train catalogue models on real data and report a results table.

Each entry names a module with `train(quick, data_dir, plot_dir, seed, [full,] **options)` returning
a dict (or a list of such rows) giving model, data, metric, value and seconds. Entries wrap their
training loops in `progress`, which shows live progress and enforces a time budget.
"""
import importlib
import inspect
import time

from .progress import heartbeat, line_printed, progress, set_deadline, out_of_time  # noqa: F401  (used by the entries)
from .targets import target, meets, describe, verdict, shakespeare_target  # noqa: F401  (used by the entries)

ENTRIES = {
    "perceptron": "fastnn.zoo.perceptron",
    "mlp": "fastnn.zoo.mlp",
    "lenet": "fastnn.zoo.lenet",
    "autoencoder": "fastnn.zoo.autoencoder",
    "rnn": ("fastnn.zoo.forecast", {"cell": "rnn"}),
    "lstm": ("fastnn.zoo.charlm", {"cell": "lstm"}),
    "gru": ("fastnn.zoo.charlm", {"cell": "gru"}),
    "gcn": "fastnn.zoo.gcn",
    "linkpred": "fastnn.zoo.linkpred",
    "graphsage": "fastnn.zoo.graphsage",
    "gan": "fastnn.zoo.gan",
    "qlearning": "fastnn.zoo.tabular",
    "dqn": "fastnn.zoo.dqn",
    "transformer": "fastnn.zoo.transformer",
}


BUDGETS = ("quick", "default", "full")


def run(names=None, budget="default", data_dir=None, plot_dir=None, seed=0, time_budget=None, on_result=None,
        train_options=None):
    """Train the named entries (default: all) and return their result dicts.

    budget: "quick" (a smoke test), "default" (every model to a useful result in a few minutes
    in all) or "full" (the long recipes that reach the best numbers). time_budget: seconds per
    model; its loops stop when the time is up (with the full recipe as the plan). on_result is
    called with each result the moment its model finishes. train_options: extra keyword arguments
    for every entry's train() (such as distributed=True for lenet).
    """
    names = list(names or ENTRIES)
    unknown = [n for n in names if n not in ENTRIES]
    if unknown:
        raise ValueError(f"unknown zoo model(s) {unknown}; choose from {sorted(ENTRIES)}")
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    if time_budget is not None and not time_budget > 0:
        raise ValueError(f"the time budget must be a positive number of seconds, got {time_budget}")
    results = []
    for name in names:
        entry = ENTRIES[name]
        module_name, options = entry if isinstance(entry, tuple) else (entry, {})
        module = importlib.import_module(module_name)
        kwargs = dict(quick=budget == "quick", data_dir=data_dir, plot_dir=plot_dir, seed=seed, **options,
                      **(train_options or {}))
        if "full" in inspect.signature(module.train).parameters:
            kwargs["full"] = budget == "full" or time_budget is not None
        start = time.perf_counter()
        set_deadline(None if time_budget is None else start + time_budget)
        try:
            with heartbeat(name):
                result = module.train(**kwargs)
        finally:
            set_deadline(None)
        for row in result if isinstance(result, list) else [result]:
            row.setdefault("seconds", time.perf_counter() - start)
            row["name"] = name
            results.append(row)
            if on_result is not None:
                on_result(row)
                line_printed()
    return results


COLUMNS = (("model", 30), ("data", 32), ("metric", 32), ("value", 8), ("target (reference)", 40), ("result", 6),
           ("seconds", 8))


def format_row(values):
    return "  ".join(str(v).ljust(w) for v, (_, w) in zip(values, COLUMNS)).rstrip()


def table_header():
    return format_row([c for c, _ in COLUMNS]) + "\n" + "  ".join("-" * w for _, w in COLUMNS)


def result_row(r):
    """One table line: the value beside its target and reference, then pass or MISS."""
    return format_row((r["model"], r["data"], r["metric"], f"{r['value']:.4f}", describe(r.get("target")),
                       verdict(r), f"{r['seconds']:.1f}"))


def format_table(results):
    return "\n".join([table_header()] + [result_row(r) for r in results])


from .plots import plot_curves, plot_image_rows  # noqa: E402,F401
