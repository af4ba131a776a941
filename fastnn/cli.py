"""The `fastnn` command: info, zoo, bench."""
import argparse
import json
import sys


def _info(args):
    from .config import show_config
    show_config()
    return 0


def _zoo(args):
    from . import zoo
    import os
    data_dir = args.data or os.environ.get("FASTNN_DATA")
    if data_dir and not os.path.isdir(data_dir):
        source = "--data" if args.data else "$FASTNN_DATA"
        print(f"fastnn zoo: {source} folder {data_dir} does not exist", file=sys.stderr)
        return 2
    try:
        results = zoo.run(args.models, quick=args.quick, data_dir=data_dir, plot_dir=args.plot, seed=args.seed)
    except (ValueError, RuntimeError, FileNotFoundError) as err:
        print(f"fastnn zoo: {err}", file=sys.stderr)
        return 2
    print(zoo.format_table(results))
    for r in results:
        if "sample" in r:
            print(f"\n{r['name']} sample (temperature 0.8):\n{r['sample']}")
    if args.plot:
        print(f"plots written to {args.plot}")
    return 0


def _bench(args):
    from .bench.timing import run_benchmarks, format_markdown
    rows = run_benchmarks(name_filter=args.filter, repeat=args.repeat, reference=not args.no_reference,
                          torch=not args.no_torch, progress=True)
    table = format_markdown(rows)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    return 0


def build_parser():
    from . import __version__
    p = argparse.ArgumentParser(prog="fastnn", description="fastnn: NumPy-native deep learning with Cython kernels")
    p.add_argument("--version", action="version", version=f"fastnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="version, compiled kernels, OpenMP, threads, BLAS")
    info.set_defaults(func=_info)

    from .zoo import ENTRIES
    zoo = sub.add_parser("zoo", help="train catalogue models on real data and print a results table")
    zoo.add_argument("models", nargs="*", metavar="MODEL", help=f"models to train (default: all of {', '.join(ENTRIES)})")
    zoo.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    zoo.add_argument("--plot", metavar="DIR", help="write loss curves and other pictures as PNG into DIR")
    zoo.add_argument("--data", metavar="DIR", help="folder with larger datasets (e.g. MNIST IDX files); default $FASTNN_DATA")
    zoo.add_argument("--seed", type=int, default=0)
    zoo.set_defaults(func=_zoo)

    bench = sub.add_parser("bench", help="time every registered kernel: compiled vs NumPy reference (vs PyTorch)")
    bench.add_argument("--json", metavar="F", help="also write the rows as JSON")
    bench.add_argument("--markdown", metavar="F", help="also write the table as Markdown")
    bench.add_argument("--filter", metavar="S", help="only cases whose name contains S")
    bench.add_argument("--repeat", type=int, default=7, help="timed runs per case (median reported)")
    bench.add_argument("--no-reference", action="store_true", help="skip the NumPy reference")
    bench.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    bench.set_defaults(func=_bench)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)

