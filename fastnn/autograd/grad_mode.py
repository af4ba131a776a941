"""Whether operations record the graph for backward (no_grad, enable_grad).

Grad mode is per thread, as in PyTorch: one thread evaluating under no_grad()
does not stop another from recording its graph.
"""
import functools
import threading


class _GradState(threading.local):
    enabled = True  # each thread starts with grad mode on


state = _GradState()


def is_grad_enabled():
    return state.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets grad mode to `mode` and restores it on exit."""

    def __init__(self, mode=True):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, fn):
        # used as a decorator: undo the switch made at construction, apply it per call instead
        state.enabled = self.prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class _GradModeContext:
    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare @no_grad, as PyTorch allows

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: inside, results never require grad."""
    mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a no_grad block."""
    mode = True


inference_mode = no_grad
