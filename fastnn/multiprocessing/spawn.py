"""spawn / start_processes: run fn(i, *args) in nprocs processes and surface their failures
(torch.multiprocessing.spawn's API and errors)."""
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback

from .._checks import positive_int


class ProcessException(Exception):
    __slots__ = ("error_index", "error_pid")

    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _wrap(fn, i, args, error_file):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent sees the interrupt itself and tears the others down
    except Exception:
        with open(error_file, "wb") as f:
            pickle.dump(traceback.format_exc(), f)
        sys.exit(1)


class ProcessContext:
    """The processes of one spawn: join() waits, and raises for the first one that failed."""

    def __init__(self, processes, error_files):
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """True once every process has exited cleanly, False if some still run after `timeout` seconds;
        raises ProcessRaisedException / ProcessExitedException for the first one that failed, after
        stopping the rest (SIGTERM, then SIGKILL after `grace_period` seconds)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        self._stop_others(grace_period)
        p = self.processes[failed]
        try:
            with open(self.error_files[failed], "rb") as f:
                trace = pickle.load(f)
        except (FileNotFoundError, EOFError):
            if p.exitcode < 0:
                name = signal.Signals(-p.exitcode).name
                raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, p.pid,
                                             p.exitcode, name) from None
            raise ProcessExitedException(f"process {failed} terminated with exit code {p.exitcode}", failed, p.pid,
                                         p.exitcode) from None
        finally:
            self._remove_error_files()
        raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following error:\n{trace}",
                                     failed, p.pid)

    def _stop_others(self, grace_period):
        alive = [p for p in self.processes if p.is_alive()]
        for p in alive:
            p.terminate()
        deadline = time.monotonic() + (grace_period or 0)
        for p in alive:
            p.join(max(0.0, deadline - time.monotonic()) if grace_period else None)
            if p.is_alive():
                p.kill()
                p.join()
        self.sentinels.clear()

    def _remove_error_files(self):
        for path in self.error_files:
            if os.path.exists(path):
                os.unlink(path)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start nprocs processes running fn(i, *args) for i in range(nprocs) with the given start method."""
    nprocs = positive_int(nprocs, "nprocs")
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        fd, path = tempfile.mkstemp(prefix="fastnn_spawn_")
        os.close(fd)
        os.unlink(path)  # the child creates it only when it has a traceback to report
        p = ctx.Process(target=_wrap, args=(fn, i, args, path), daemon=daemon)
        p.start()
        processes.append(p)
        error_files.append(path)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """start_processes with the spawn start method by default (as torch.multiprocessing.spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
