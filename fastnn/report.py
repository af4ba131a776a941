"""Markdown reports of `fastnn zoo --report DIR` and `fastnn bench --report DIR`: results, the machine, the pictures."""
import json
import os
import platform
import sys
import time


def check_folder(folder, option):
    """Create folder and make sure it is writable; a clear error naming the option otherwise."""
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, ".fastnn-write-test")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{option} folder {folder} is not writable ({err.strerror or err})") from None


def machine():
    """What a reader needs to judge the numbers: CPU, vector build, threads, BLAS, versions."""
    import numpy
    from .config import config
    info = config()
    return {"cpu": info["cpu"], "vector build": info["vector_build"], "threads": info["threads"],
            "OpenMP": info["openmp"], "BLAS": "; ".join(info["blas"]), "fastnn": info["version"],
            "Python": platform.python_version(), "NumPy": numpy.__version__, "platform": platform.platform()}


def _machine_lines(extra):
    facts = {**machine(), **extra}
    return ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in facts.items()]


def _images(folder, base):
    """Markdown image lines for the PNGs in folder, relative to base."""
    if not folder or not os.path.isdir(folder):
        return []
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png"))
    return [f"![{os.path.splitext(n)[0]}]({os.path.relpath(os.path.join(folder, n), base)})" for n in names]


def write_zoo_report(folder, results, plot_dir, settings):
    from .zoo import table_header, result_row
    lines = [f"# fastnn zoo, {time.strftime('%Y-%m-%d %H:%M')}", "",
             "```", table_header(), *[result_row(r) for r in results], "```", "",
             "## Machine and settings", "", *_machine_lines(settings), ""]
    samples = [r for r in results if "sample" in r]
    for r in samples:
        lines += [f"## {r['name']}: a sample (temperature 0.8)", "", "```", r["sample"], "```", ""]
    pictures = _images(plot_dir, folder)
    if pictures:
        lines += ["## Pictures", ""] + [p + "\n" for p in pictures]
    elif settings.get("pictures"):
        lines += ["## Pictures", "", settings["pictures"], ""]
    path = os.path.join(folder, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump({"results": results, "machine": machine(), "settings": settings, "argv": sys.argv}, f, indent=2,
                  default=str)
    return path


def write_bench_report(folder, rows, table):
    chart = _ratio_chart(os.path.join(folder, "speed_vs_pytorch.png"), rows)
    lines = [f"# fastnn bench, {time.strftime('%Y-%m-%d %H:%M')}", "",
             "Medians of interleaved runs; × > 1 means fastnn is faster.", "", table, "",
             "## Machine", "", *_machine_lines({}), ""]
    if chart:
        lines += ["## Speed against PyTorch", "", f"![speed vs PyTorch]({os.path.basename(chart)})", ""]
    path = os.path.join(folder, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump({"rows": rows, "machine": machine()}, f, indent=2)
    return path


def _ratio_chart(path, rows):
    """Horizontal bars of fastnn's speed-up over PyTorch per case (None without PyTorch or matplotlib)."""
    rated = [r for r in rows if "speedup_vs_torch" in r]
    if not rated:
        return None
    try:
        from .zoo.plots import _pyplot
        plt = _pyplot()
    except RuntimeError:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rated) + 1.2))
    ratios = [r["speedup_vs_torch"] for r in rated]
    ax.barh(range(len(rated)), ratios, color=["tab:green" if v >= 1 else "tab:red" for v in ratios])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rated)))
    ax.set_yticklabels([r["case"] for r in rated], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("PyTorch time / fastnn time")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
