"""Outputs and gradients of layers and losses equal PyTorch's after copying weights (skipped without torch)."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def pair(torch, a, requires_grad=True):
    """The same float64 data as a fastnn tensor and a torch tensor."""
    return (fastnn.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def copy_weights(torch, src, dst):
    """torch module -> fastnn module through NumPy, PyTorch names."""
    dst.load_state_dict({k: v.detach().numpy() for k, v in src.state_dict().items()})


def close(ours, theirs, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy() if hasattr(ours, "detach") else ours),
                               theirs.detach().numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(7)


def backward_both(torch, y, ty):
    """The outputs agree; then both sides run backward from the same random weighting of them."""
    close(y, ty)
    w = RNG.standard_normal(ty.shape)
    (y * fastnn.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()


def test_linear(torch):
    tl = torch.nn.Linear(5, 3).double()
    fl = nn.Linear(5, 3).double()
    copy_weights(torch, tl, fl)
    x, tx = pair(torch, RNG.standard_normal((4, 2, 5)))
    y, ty = fl(x), tl(tx)
    backward_both(torch, y, ty)
    close(x.grad, tx.grad)
    close(fl.weight.grad, tl.weight.grad)
    close(fl.bias.grad, tl.bias.grad)


ACTS = [
    ("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.1}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}), ("Sigmoid", {}), ("Tanh", {}), ("ELU", {"alpha": 0.5}), ("Softplus", {"beta": 2.0}),
    ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}), ("Hardtanh", {}), ("ReLU6", {}),
]


@pytest.mark.parametrize("name,kw", ACTS)
def test_activations(torch, name, kw):
    a = RNG.standard_normal((4, 6)) * 4
    x, tx = pair(torch, a)
    y = getattr(nn, name)(**kw)(x)
    ty = getattr(torch.nn, name)(**kw)(tx)
    backward_both(torch, y, ty)
    close(x.grad, tx.grad)


def test_activation_float32_dtype_kept(torch):
    x = fastnn.randn(3, 4)
    for name, kw in ACTS:
        assert getattr(nn, name)(**kw)(x).dtype == fastnn.float32, name


def test_layer_norm(torch):
    tn = torch.nn.LayerNorm((3, 4)).double()
    with torch.no_grad():
        tn.weight.normal_()
        tn.bias.normal_()
    fn = nn.LayerNorm((3, 4)).double()
    copy_weights(torch, tn, fn)
    x, tx = pair(torch, RNG.standard_normal((2, 3, 4)))
    y, ty = fn(x), tn(tx)
    backward_both(torch, y, ty)
    for a, b in ((x.grad, tx.grad), (fn.weight.grad, tn.weight.grad), (fn.bias.grad, tn.bias.grad)):
        close(a, b)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batch_norm_train_then_eval(torch, shape):
    tb = torch.nn.BatchNorm1d(3, momentum=0.3).double()
    fb = nn.BatchNorm1d(3, momentum=0.3).double()
    with torch.no_grad():
        tb.weight.normal_()
        tb.bias.normal_()
    copy_weights(torch, tb, fb)
    for step in range(3):
        a = RNG.standard_normal(shape) * 2 + step
        x, tx = pair(torch, a)
        y, ty = fb(x), tb(tx)
        backward_both(torch, y, ty)
        close(x.grad, tx.grad)
        close(fb.weight.grad, tb.weight.grad)
        close(fb.bias.grad, tb.bias.grad)
    close(fb.running_mean, tb.running_mean)
    close(fb.running_var, tb.running_var)
    assert int(fb.num_batches_tracked.item()) == int(tb.num_batches_tracked.item())
    fb.eval(), tb.eval()
    x, tx = pair(torch, RNG.standard_normal(shape))
    y, ty = fb(x), tb(tx)
    close(y, ty)
    y.sum().backward(), ty.sum().backward()
    close(x.grad, tx.grad)


def test_batch_norm_cumulative_momentum(torch):
    tb = torch.nn.BatchNorm1d(2, momentum=None).double()
    fb = nn.BatchNorm1d(2, momentum=None).double()
    for _ in range(3):
        a = RNG.standard_normal((5, 2))
        fb(fastnn.tensor(a)), tb(torch.tensor(a))
    close(fb.running_mean, tb.running_mean)
    close(fb.running_var, tb.running_var)


def test_embedding(torch):
    te = torch.nn.Embedding(6, 3, padding_idx=1).double()
    fe = nn.Embedding(6, 3, padding_idx=1).double()
    copy_weights(torch, te, fe)
    idx = np.array([[0, 1, 5], [5, 5, 2]])
    y, ty = fe(fastnn.tensor(idx)), te(torch.tensor(idx))
    backward_both(torch, y, ty)
    close(fe.weight.grad, te.weight.grad)


LOSSES = [
    ("MSELoss", {}, "float"), ("L1Loss", {}, "float"), ("SmoothL1Loss", {"beta": 0.5}, "float"),
    ("HuberLoss", {"delta": 0.7}, "float"), ("BCELoss", {}, "prob"), ("BCEWithLogitsLoss", {}, "prob"),
    ("CrossEntropyLoss", {}, "index"), ("CrossEntropyLoss", {"label_smoothing": 0.15}, "index"),
    ("CrossEntropyLoss", {"ignore_index": 2}, "index"), ("CrossEntropyLoss", {}, "soft"),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, "soft"), ("NLLLoss", {}, "index"),
    ("NLLLoss", {"ignore_index": 0}, "index"),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kw,kind", LOSSES)
def test_losses(torch, name, kw, kind, reduction):
    a = RNG.standard_normal((6, 4))
    if name == "BCELoss":
        a = 1 / (1 + np.exp(-a))
    if name == "NLLLoss":
        a = a - np.log(np.exp(a).sum(1, keepdims=True))
    if kind == "float":
        t = RNG.standard_normal((6, 4))
    elif kind == "prob":
        t = RNG.uniform(0, 1, (6, 4))
    elif kind == "soft":
        t = RNG.dirichlet(np.ones(4), 6)
    else:
        t = np.array([0, 2, 3, 1, 2, 0])
    x, tx = pair(torch, a)
    y = getattr(nn, name)(reduction=reduction, **kw)(x, fastnn.tensor(t))
    ty = getattr(torch.nn, name)(reduction=reduction, **kw)(tx, torch.tensor(t))
    backward_both(torch, y, ty)
    close(x.grad, tx.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_weighted_spatial(torch, reduction, smoothing):
    a = RNG.standard_normal((2, 4, 3, 2))
    t = RNG.integers(0, 4, (2, 3, 2))
    t[0, 0, 0] = -100
    wt = RNG.uniform(0.2, 2.0, 4)
    x, tx = pair(torch, a)
    y = F.cross_entropy(x, fastnn.tensor(t), weight=fastnn.tensor(wt), reduction=reduction, label_smoothing=smoothing)
    ty = torch.nn.functional.cross_entropy(tx, torch.tensor(t), weight=torch.tensor(wt), reduction=reduction,
                                           label_smoothing=smoothing)
    backward_both(torch, y, ty)
    close(x.grad, tx.grad)


def test_cross_entropy_float32_matches(torch):
    a = RNG.standard_normal((16, 10)).astype(np.float32)
    t = RNG.integers(0, 10, 16)
    x, tx = pair(torch, a)
    y, ty = F.cross_entropy(x, fastnn.tensor(t)), torch.nn.functional.cross_entropy(tx, torch.tensor(t))
    assert y.dtype == fastnn.float32
    close(y, ty, rtol=1e-5)
    y.backward(), ty.backward()
    close(x.grad, tx.grad, rtol=1e-4, atol=1e-7)


def test_bce_with_logits_pos_weight(torch):
    a, t = RNG.standard_normal((5, 3)), RNG.uniform(0, 1, (5, 3))
    pw, wt = RNG.uniform(0.5, 3, 3), RNG.uniform(0.5, 3, 3)
    x, tx = pair(torch, a)
    y = nn.BCEWithLogitsLoss(weight=fastnn.tensor(wt), pos_weight=fastnn.tensor(pw))(x, fastnn.tensor(t))
    ty = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(wt), pos_weight=torch.tensor(pw))(tx, torch.tensor(t))
    close(y, ty)
    y.backward(), ty.backward()
    close(x.grad, tx.grad)


def test_torch_state_dict_loads_into_same_model(torch):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.GELU(),
                             torch.nn.Linear(8, 8), torch.nn.LayerNorm(8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    fm = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.GELU(),
                       nn.Linear(8, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3))
    tm.train()
    tm(torch.randn(16, 4))  # non-trivial running statistics
    tm.eval()
    sd = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    assert list(sd) == list(fm.state_dict())
    fm.load_state_dict(sd)
    fm.eval()
    a = RNG.standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        ref = tm(torch.tensor(a)).numpy()
    np.testing.assert_allclose(fm(fastnn.tensor(a)).detach().numpy(), ref, rtol=1e-5, atol=1e-6)


def test_default_init_bounds_match_torch_formula(torch):
    tl, fl = torch.nn.Linear(30, 7), nn.Linear(30, 7)
    tb = tl.weight.abs().max().item()
    fb = float(np.abs(fl.weight.detach().numpy()).max())
    bound = 1 / np.sqrt(30)
    assert tb <= bound and fb <= bound + 1e-7
    assert fb > 0.7 * bound and tb > 0.7 * bound
