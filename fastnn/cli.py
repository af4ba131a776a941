"""The `fastnn` command: info, zoo, bench, run, as-torch."""
import argparse
import json
import os
import sys


def _info(args):
    from .config import show_config
    show_config()
    return 0


def _fail(command, message):
    print(f"fastnn {command}: {message}", file=sys.stderr)
    return 2


def _check_data_folder(data_dir, given):
    from .data.mnist import find_mnist
    from ._planetoid_files import find_planetoid
    source = "--data" if given else "$FASTNN_DATA"
    if not os.path.isdir(data_dir):
        raise ValueError(f"{source} folder {data_dir} does not exist")
    if not (find_mnist(data_dir) or find_planetoid(data_dir)):
        raise ValueError(f"{source} folder {data_dir} holds neither MNIST's IDX files nor the Planetoid files "
                         f"(directly or in mnist/, planetoid/)")


# Set by `fastnn zoo --distributed N` in the processes it starts under mpiexec.
_RANK_MARKER = "FASTNN_ZOO_RANK_PROCESS"


def _check_distributed(args):
    if args.distributed < 1:
        raise ValueError(f"--distributed must be a positive number of processes, got {args.distributed}")
    if args.models != ["lenet"]:
        raise ValueError(f"--distributed trains lenet only (fastnn zoo lenet --distributed N), got {args.models or 'all'}")
    if args.time_budget is not None:
        raise ValueError("--time-budget cannot be combined with --distributed (the ranks must stop at the same step)")


def _zoo_rank(args):
    """Join the process group; every rank but 0 trains silently."""
    from . import distributed as dist
    from .zoo.progress import set_stream
    dist.init_process_group("mpi")
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")
        set_stream(sys.stdout)
    return {"distributed": True, "overlap": not args.no_overlap}


def _zoo(args):
    from . import zoo
    train_options = None
    if args.no_overlap and args.distributed is None:
        return _fail("zoo", "--no-overlap applies to --distributed runs only")
    if args.distributed is not None:
        try:
            _check_distributed(args)
        except ValueError as err:
            return _fail("zoo", err)
        if os.environ.get(_RANK_MARKER) != "1":
            from .distributed.run import launch
            return launch(args.distributed, ["-m", "fastnn"] + args.argv, {_RANK_MARKER: "1"})
        train_options = _zoo_rank(args)
    data_dir = args.data or os.environ.get("FASTNN_DATA")
    budget = "quick" if args.quick else "full" if args.full else "default"
    plot_dir = args.plot or (os.path.join(args.report, "plots") if args.report else None)
    pictures_note = None
    try:
        if args.quick and args.full:
            raise ValueError("choose one of --quick and --full")
        if data_dir:
            _check_data_folder(data_dir, bool(args.data))
        if args.report:
            from .report import check_folder
            check_folder(args.report, "--report")
        if plot_dir:
            # checked before training: a missing matplotlib must not cost a whole run
            from .zoo.plots import matplotlib_available
            if not matplotlib_available():
                if args.plot:
                    raise ValueError("--plot needs matplotlib: pip install 'fastnn[plot]'")
                plot_dir = None
                pictures_note = "none: matplotlib is not installed (pip install 'fastnn[plot]' for them)"
                print(f"fastnn zoo: the report will have no pictures: matplotlib is not installed", file=sys.stderr)
        unknown = [n for n in args.models if n not in zoo.ENTRIES]
        if unknown:
            raise ValueError(f"unknown zoo model(s) {unknown}; choose from {sorted(zoo.ENTRIES)}")
        if args.time_budget is not None and not args.time_budget > 0:
            raise ValueError(f"--time-budget must be a positive number of seconds, got {args.time_budget}")
    except ValueError as err:
        return _fail("zoo", err)
    print(zoo.table_header(), flush=True)
    results = []

    def show(result):
        results.append(result)
        print(zoo.result_row(result), flush=True)

    status = 0
    try:
        zoo.run(args.models, budget=budget, data_dir=data_dir, plot_dir=plot_dir, seed=args.seed,
                time_budget=args.time_budget, on_result=show, train_options=train_options)
    except KeyboardInterrupt:
        print(f"interrupted: {len(results)} model(s) finished (rows above)", file=sys.stderr, flush=True)
        status = 130
    except (ValueError, RuntimeError, FileNotFoundError) as err:
        return _fail("zoo", err)
    for r in results:
        if "samples_per_s" in r:
            print(f"\n{r['name']} data-parallel on {r['processes']} process(es): {r['samples_per_s']:.0f} samples/s "
                  f"({r['train_seconds']:.1f} s training), {r['allreduce_seconds']:.2f} s of it in gradient "
                  f"all-reduce (overlap {'on' if r['overlap'] else 'off'})")
        if "sample" in r:
            print(f"\n{r['name']} sample (temperature 0.8):\n{r['sample']}")
    if args.plot:
        print(f"plots written to {args.plot}")
    if args.report:
        from .report import write_zoo_report
        settings = {"budget": budget, "seed": args.seed, "time budget (s)": args.time_budget,
                    "data": data_dir or "bundled"}
        if pictures_note:
            settings["pictures"] = pictures_note
        print(f"report written to {write_zoo_report(args.report, results, plot_dir, settings)}")
    return status


def _bench(args):
    if args.report:
        from .report import check_folder
        try:
            check_folder(args.report, "--report")
        except ValueError as err:
            return _fail("bench", err)
    if args.load < 0:
        return _fail("bench", f"--load must be a non-negative number of processes, got {args.load}")
    if args.rounds < 1 or args.repeat < 1:
        return _fail("bench", f"--rounds and --repeat must be at least 1, got {args.rounds} and {args.repeat}")
    from .bench.timing import run_benchmarks, format_markdown
    try:
        rows = run_benchmarks(name_filter=args.filter, repeat=args.repeat, reference=not args.no_reference,
                              torch=not args.no_torch, progress=True, load=args.load, rounds=args.rounds)
    except KeyboardInterrupt:   # the busy processes of --load are gone already
        print("interrupted", file=sys.stderr)
        return 130
    table = format_markdown(rows)
    print(table)
    if args.report:
        from .report import write_bench_report
        print(f"report written to {write_bench_report(args.report, rows, table)}")
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
    zoo.add_argument("--quick", action="store_true", help="short runs (a smoke test, seconds)")
    zoo.add_argument("--full", action="store_true",
                     help="the long recipes that reach the best numbers (LeNet 15 MNIST epochs, char LSTM-512)")
    zoo.add_argument("--time-budget", type=float, metavar="SECONDS",
                     help="train each model for at most this long (the full recipe, stopped when time is up)")
    zoo.add_argument("--report", metavar="DIR", help="write report.md and results.json (with the plots) into DIR")
    zoo.add_argument("--plot", metavar="DIR", help="write loss curves and other pictures as PNG into DIR")
    zoo.add_argument("--data", metavar="DIR", help="folder with larger datasets (e.g. MNIST IDX files); default $FASTNN_DATA")
    zoo.add_argument("--seed", type=int, default=0)
    zoo.add_argument("--distributed", type=int, metavar="N",
                     help="train lenet data-parallel in N processes under mpiexec and report samples/s")
    zoo.add_argument("--no-overlap", action="store_true",
                     help="with --distributed: all-reduce the gradients after backward instead of during it")
    zoo.set_defaults(func=_zoo)

    from .distributed.run import add_arguments
    run = sub.add_parser("run", help="run a Python script in N processes under mpiexec (fastnn.distributed)")
    add_arguments(run)
    run.set_defaults(func=_run)

    as_torch = sub.add_parser("as-torch", help="run a PyTorch script unchanged, with `import torch` giving fastnn")
    as_torch.add_argument("script")
    as_torch.add_argument("script_args", nargs=argparse.REMAINDER)
    as_torch.set_defaults(func=_as_torch)

    bench = sub.add_parser("bench", help="time every registered kernel: compiled vs NumPy reference (vs PyTorch)")
    bench.add_argument("--json", metavar="F", help="also write the rows as JSON")
    bench.add_argument("--markdown", metavar="F", help="also write the table as Markdown")
    bench.add_argument("--filter", metavar="S", help="only cases whose name contains S")
    bench.add_argument("--repeat", type=int, default=7, help="timed samples per case in each round (median reported)")
    bench.add_argument("--rounds", type=int, default=1, metavar="N",
                       help="passes over all the cases, so that each case's samples spread over the whole run")
    bench.add_argument("--no-reference", action="store_true", help="skip the NumPy reference")
    bench.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    bench.add_argument("--report", metavar="DIR", help="write report.md (with a chart of the ratios) into DIR")
    bench.add_argument("--load", type=int, default=0, metavar="N",
                       help="run N busy-looping processes beside the whole run (killed at exit), so that fastnn "
                            "and PyTorch are measured under the same interference")
    bench.set_defaults(func=_bench)
    return p


def _as_torch(args):
    from .torch_alias import run_script
    try:
        run_script(args.script, args.script_args)
    except FileNotFoundError as err:
        return _fail("as-torch", str(err))
    return 0


def _run(args):
    from .distributed.run import launch
    return launch(args.nproc, args.program)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # `zoo --distributed` starts the same command again in each rank
    return args.func(args)



if __name__ == "__main__":  # `python -m fastnn.cli ...` as well as `python -m fastnn ...`
    raise SystemExit(main())
