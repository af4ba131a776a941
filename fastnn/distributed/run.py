"""Start N copies of a Python program under mpiexec: `python -m fastnn.distributed.run -n N script.py [args]`.

(`-- -m package.module [args]` runs a module instead of a script.)

`fastnn run` is the same command. mpiexec is looked up beside the running Python first (where
`pip install mpich` puts it in a virtual environment), then on PATH.
"""
import argparse
import os
import shutil
import subprocess
import sys

from ._mpi import INSTALL_HINT


def find_mpiexec():
    """Path of mpiexec (beside sys.executable, else on PATH), or None."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


def mpiexec_command(nprocs, program):
    """The argv that runs `python program...` in nprocs processes; FileNotFoundError without mpiexec."""
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise FileNotFoundError(f"mpiexec not found beside {sys.executable} nor on PATH; install MPI with: "
                                f"{INSTALL_HINT}")
    return [mpiexec, "-n", str(nprocs), sys.executable] + list(program)


def child_environment(nprocs, extra_env=None):
    """The environment for the ranks: unless set, each rank gets an equal share of the cores."""
    env = dict(os.environ, **(extra_env or {}))
    if "OMP_NUM_THREADS" not in env:
        # N ranks each using every core would oversubscribe them N times over.
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nprocs))
    return env


def add_arguments(parser):
    parser.add_argument("-n", "--nproc", type=int, required=True, metavar="N", help="number of processes")
    parser.add_argument("program", nargs=argparse.REMAINDER,
                        help="what to run with Python in each process: script.py [args], or -- -m module [args]")


def launch(nprocs, program, extra_env=None):
    """Run program in nprocs processes and return mpiexec's exit status (2 on a usage error)."""
    if isinstance(nprocs, bool) or not isinstance(nprocs, int) or nprocs < 1:
        print(f"fastnn run: -n must be a positive number of processes, got {nprocs!r}", file=sys.stderr)
        return 2
    if program[:1] == ["--"]:  # the separator that lets Python options such as -m follow
        program = program[1:]
    if not program:
        print("fastnn run: give the script to run, e.g. fastnn run -n 2 train.py", file=sys.stderr)
        return 2
    try:
        argv = mpiexec_command(nprocs, program)
    except FileNotFoundError as err:
        print(f"fastnn run: {err}", file=sys.stderr)
        return 2
    return subprocess.call(argv, env=child_environment(nprocs, extra_env))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn.distributed.run",
                                     description="run a Python program in N processes under mpiexec")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return launch(args.nproc, args.program)


if __name__ == "__main__":
    sys.exit(main())
