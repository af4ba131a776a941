"""PyTorch's side of `fastnn bench`, timed in a process of its own.

Both libraries run their loops on libgomp, and a process holds one copy of it, configured once
by whichever library loads it first, so in one process fastnn's idle policy (fastnn._idle_threads)
is PyTorch's too. When that policy was OMP_WAIT_POLICY=PASSIVE, PyTorch paid a wake-up for each
of its many small parallel regions (nn.LSTM medium forward+backward on an AMD EPYC Zen 5, 2
threads: 13 ms alone, 36 ms after `import fastnn`); the short spin that replaced it costs PyTorch
little (14.6 ms), but a comparison should not depend on it. So PyTorch runs here, in a child
process that imports torch before anything else and leaves the process settings alone
(FASTNN_NO_PROCESS_TUNING=1), as a PyTorch user's process would be; the parent times fastnn and
asks the child for each PyTorch sample in turn, so that load from other tenants still falls on
both alike.

Protocol: pickled tuples over the child's stdin/stdout; the child sends back ("ok", value) or
("error", text). Anything the cases print goes to the child's stderr.
"""
import os
import pickle
import subprocess
import sys

# The child imports the parent's fastnn (the folder holding this package goes first on its path): run from a
# checkout, `python -c` would otherwise find the uncompiled source folder in its working directory.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_START = ("import sys; sys.path.insert(0, {root!r}); import torch, runpy; "
          "runpy.run_module('fastnn.bench.torch_side', run_name='__main__')").format(root=_ROOT)


class TorchSide:
    """A child process that builds and times the PyTorch call of a named bench case."""

    def __init__(self, threads):
        env = dict(os.environ, FASTNN_NO_PROCESS_TUNING="1")
        self._proc = subprocess.Popen([sys.executable, "-c", _START], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      env=env)
        self._call("threads", threads)

    def _call(self, *message):
        try:
            pickle.dump(message, self._proc.stdin)
            self._proc.stdin.flush()
            status, value = pickle.load(self._proc.stdout)
        except (EOFError, BrokenPipeError) as err:
            raise RuntimeError(f"the PyTorch bench process ended (exit code {self._proc.poll()})") from err
        if status != "ok":
            raise RuntimeError(f"PyTorch side of {message[:3]!r}: {value}")
        return value

    def describe(self):
        """{"pid", "torch", "threads", "process_tuning"} of the child: where and how PyTorch is timed."""
        return self._call("describe")

    def prepare(self, kind, name):
        """Build the PyTorch call of case `name` (kind: "kernel", "layer" or "model"); False if it has none."""
        return self._call("prepare", kind, name)

    def loops_for(self, warmup, min_time):
        """Calls per sample of the prepared case (fastnn.bench.calls's rule, run in the child)."""
        return self._call("loops", warmup, min_time)

    def sample(self, loops):
        """Seconds per call of the prepared case over one sample of `loops` calls."""
        return self._call("sample", loops)

    def close(self):
        if self._proc.poll() is None:
            try:
                pickle.dump(("exit",), self._proc.stdin)
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _build(kind, name):
    """The zero-argument PyTorch call of the named case, or None."""
    import numpy as np
    from .layers import LAYERS
    from .steps import STEPS
    if kind == "kernel":
        from ..kernels import registry
        cases = {c.name: c for c in registry.all_cases()}
    elif kind in ("layer", "model"):
        cases = dict(LAYERS if kind == "layer" else STEPS)
    else:
        raise ValueError(f"kind must be 'kernel', 'layer' or 'model', got {kind!r}")
    if name not in cases:
        raise ValueError(f"no {kind} case named {name!r}")
    if kind == "kernel":
        case = cases[name]
        return None if case.torch_setup is None else case.torch_setup(case.make_inputs(np.random.default_rng(0)))
    return cases[name](True)[1]


def _serve(reader, writer):
    import torch
    from .calls import loops_for, sample
    fn = None
    while True:
        try:
            message = pickle.load(reader)
        except EOFError:
            return
        verb, args = message[0], message[1:]
        if verb == "exit":
            return
        try:
            if verb == "threads":
                torch.set_num_threads(args[0])
                reply = None
            elif verb == "describe":
                from .. import _idle_threads
                reply = dict(pid=os.getpid(), torch=torch.__version__, threads=torch.get_num_threads(),
                             process_tuning=_idle_threads.TUNED)
            elif verb == "prepare":
                fn = _build(*args)
                reply = fn is not None
            elif verb == "loops":
                reply = loops_for(fn, *args)
            elif verb == "sample":
                reply = sample(fn, *args)
            else:
                raise ValueError(f"unknown request {verb!r}")
            answer = ("ok", reply)
        except Exception as err:   # reported to the parent, which raises it
            answer = ("error", f"{type(err).__name__}: {err}")
        pickle.dump(answer, writer)
        writer.flush()


if __name__ == "__main__":
    # The replies go out on a copy of stdout; stdout itself becomes stderr, so that nothing a case
    # prints can corrupt the protocol.
    _replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, _replies)
