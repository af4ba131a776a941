from pathlib import Path

import numpy as np
import pytest

# ../shared/data beside the checkout (real data too large to bundle)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def threads():
    """Puts fastnn.set_num_threads's count back after a test that changes it."""
    import fastnn
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def shared_data(*parts):
    """Path into ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    return path


def cross_entropy_step(model, opt, x, y):
    """One optimizer step on the cross-entropy of model(x) (a tuple output's first item), classes on the
    last dim; returns the loss."""
    import fastnn.nn.functional as F
    opt.zero_grad()
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    loss.backward()
    opt.step()
    return loss


def interruptible_child():
    """preexec_fn for a child a test sends SIGINT, as Ctrl-C at a terminal would: a shell starts background
    jobs with SIGINT ignored and exec keeps that, so a suite run in the background would see no interrupt."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
