"""Progress of a zoo run: a tqdm bar on a terminal, plain timed lines otherwise, and the time budget.

Off a terminal (a log file, CI) a loop prints one line when it ends and whenever 10 s have passed
since the last line; between loops (evaluation, sampling, plots) a heartbeat thread prints a line
when 10 s pass without one, so a run never goes quiet for long. A time budget (`fastnn zoo --time-budget`)
ends every wrapped loop once the model's time is up; the model then reports what it reached.
"""
import contextlib
import os
import sys
import threading
import time

LINE_EVERY = float(os.environ.get("FASTNN_PROGRESS_SECONDS", "10"))  # seconds between plain progress lines
_state = {"deadline": None, "stream": None, "last_line": 0.0}


def set_deadline(deadline):
    """time.perf_counter() value after which wrapped loops stop (None: no budget)."""
    _state["deadline"] = deadline


def set_stream(stream):
    """Where progress goes (None: stderr); a data-parallel run silences every rank but 0 this way."""
    _state["stream"] = stream


def out_of_time():
    return _state["deadline"] is not None and time.perf_counter() >= _state["deadline"]


def _stream():
    return _state["stream"] or sys.stderr


def _line(text):
    """One plain progress line, written whole (one write call) so threads cannot interleave it."""
    stream = _stream()
    stream.write(text + "\n")
    stream.flush()
    _state["last_line"] = time.perf_counter()


def line_printed():
    """Tell the heartbeat that something else (a result row) just printed a line."""
    _state["last_line"] = time.perf_counter()


@contextlib.contextmanager
def heartbeat(desc):
    """While the block runs off a terminal, print `desc: working, N s` whenever LINE_EVERY seconds
    pass without any line, e.g. during an evaluation that no progress loop wraps."""
    if _stream().isatty():
        yield
        return
    start, stop = time.perf_counter(), threading.Event()
    _state["last_line"] = start

    def beat():
        while not stop.wait(LINE_EVERY / 4):
            now = time.perf_counter()
            if now - _state["last_line"] >= LINE_EVERY:
                _line(f"  {desc}: working, {now - start:.0f} s")

    thread = threading.Thread(target=beat, name="fastnn-zoo-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class progress:
    """Wrap a training loop: `bar = progress(range(epochs), desc="mlp")`, `bar.set_postfix(loss=...)`."""

    def __init__(self, iterable, desc="", total=None):
        self.iterable, self.desc = iterable, desc
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.postfix = {}
        self._bar = None

    def set_postfix(self, **values):
        self.postfix = values
        if self._bar is not None:
            self._bar.set_postfix(values, refresh=False)

    def _text(self, done, start):
        count = f"{done}/{self.total}" if self.total is not None else str(done)
        extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.postfix.items())
        return f"  {self.desc}: {count}  {time.perf_counter() - start:.0f} s  {extra}".rstrip()

    def __iter__(self):
        stream = _stream()
        if stream.isatty():
            from tqdm import tqdm
            self._bar = tqdm(self.iterable, desc=self.desc, total=self.total, leave=False, file=stream)
            source = self._bar
        else:
            source = self.iterable
        start = last = time.perf_counter()
        done = 0
        try:
            for item in source:
                yield item
                done += 1
                if out_of_time():
                    break
                now = time.perf_counter()
                if self._bar is None and now - last >= LINE_EVERY:
                    _line(self._text(done, start))
                    last = now
        finally:
            if self._bar is not None:
                self._bar.close()
            elif done and time.perf_counter() - start >= 1.0:
                _line(self._text(done, start))
