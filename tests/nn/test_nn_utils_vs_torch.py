"""nn.utils against PyTorch: packed sequences (and recurrent layers over them), weight and spectral
norm in both their hook and parametrization forms; the torch.nn.modules import paths."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.nn.utils import rnn as frnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn


def N(t):
    return t.detach().numpy()


def both(a, grad=True):
    return fastnn.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


@pytest.mark.parametrize("enforce_sorted,lens", [(True, [5, 3, 3, 1]), (False, [3, 5, 1, 3])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_roundtrip_and_gradient(enforce_sorted, lens, batch_first):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3))
    fx, tx = both(a)
    fp = frnn.pack_padded_sequence(fx, lens, batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, lens, batch_first, enforce_sorted)
    np.testing.assert_allclose(N(fp.data), N(tp.data))
    np.testing.assert_array_equal(fp.batch_sizes.numpy(), tp.batch_sizes.numpy())
    if not enforce_sorted:
        np.testing.assert_array_equal(fp.sorted_indices.numpy(), tp.sorted_indices.numpy())
        np.testing.assert_array_equal(fp.unsorted_indices.numpy(), tp.unsorted_indices.numpy())
    fo, fl = frnn.pad_packed_sequence(fp, batch_first, padding_value=-2.0, total_length=6)
    to, tl = trnn.pad_packed_sequence(tp, batch_first, padding_value=-2.0, total_length=6)
    np.testing.assert_allclose(N(fo), N(to))
    np.testing.assert_array_equal(fl.numpy(), tl.numpy())
    w = rng.standard_normal(to.shape)
    (fo * fastnn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_pack_sequence_unpack(side):
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    fs = [fastnn.tensor(s, requires_grad=True) for s in seqs]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    fo = frnn.pad_sequence(fs, batch_first=True, padding_value=1.5, padding_side=side)
    to = trnn.pad_sequence(ts, batch_first=True, padding_value=1.5, padding_side=side)
    np.testing.assert_allclose(N(fo), N(to))
    (fo * fo).sum().backward()
    (to * to).sum().backward()
    for f, t in zip(fs, ts):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy())
    fp = frnn.pack_sequence([fastnn.tensor(s) for s in seqs], enforce_sorted=False)
    tp = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_allclose(N(fp.data), N(tp.data))
    for f, t in zip(frnn.unpack_sequence(fp), trnn.unpack_sequence(tp)):
        np.testing.assert_allclose(N(f), N(t))
    with pytest.raises(RuntimeError):
        frnn.pack_sequence([fastnn.tensor(s) for s in seqs])  # not sorted by length


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_on_packed_sequences(kind):
    rng = np.random.default_rng(2)
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    fm = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    fm.load_state_dict({k: N(v) for k, v in tm.state_dict().items()})
    a, lens = rng.standard_normal((4, 5, 3)), [3, 5, 1, 3]
    fx, tx = both(a)
    fh, th = both(rng.standard_normal((4, 4, 4)))
    fp = frnn.pack_padded_sequence(fx, lens, True, False)
    tp = trnn.pack_padded_sequence(tx, lens, True, False)
    if kind == "LSTM":
        fc, tc = both(rng.standard_normal((4, 4, 4)))
        (fo, (fhn, fcn)), (to, (thn, tcn)) = fm(fp, (fh, fc)), tm(tp, (th, tc))
        np.testing.assert_allclose(N(fcn), N(tcn), atol=1e-12)
    else:
        (fo, fhn), (to, thn) = fm(fp, fh), tm(tp, th)
    assert isinstance(fo, frnn.PackedSequence)
    np.testing.assert_allclose(N(fo.data), N(to.data), atol=1e-12)
    np.testing.assert_allclose(N(fhn), N(thn), atol=1e-12)
    w = rng.standard_normal(tuple(to.data.shape))
    ((fo.data * fastnn.tensor(w)).sum() + fhn.sum()).backward()
    ((to.data * torch.tensor(w)).sum() + thn.sum()).backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(fh.grad.numpy(), th.grad.numpy(), atol=1e-12)
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(dict(fm.named_parameters())[name].grad.numpy(), p.grad.numpy(), atol=1e-12)


NORMS = {
    "weight_norm": (lambda u, m: u.weight_norm(m), lambda u, m: u.remove_weight_norm(m)),
    "weight_norm_dim_none": (lambda u, m: u.weight_norm(m, dim=None), lambda u, m: u.remove_weight_norm(m)),
    "spectral_norm": (lambda u, m: u.spectral_norm(m, n_power_iterations=2), lambda u, m: u.remove_spectral_norm(m)),
    "param_weight_norm": (lambda u, m: u.parametrizations.weight_norm(m, dim=1),
                          lambda u, m: u.parametrize.remove_parametrizations(m, "weight")),
    "param_spectral_norm": (lambda u, m: u.parametrizations.spectral_norm(m),
                            lambda u, m: u.parametrize.remove_parametrizations(m, "weight")),
}


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kind", sorted(NORMS))
@pytest.mark.parametrize("layer", ["Conv2d", "ConvTranspose2d", "Linear"])
def test_weight_reparametrisations(kind, train, layer):
    rng = np.random.default_rng(3)
    args = (3, 4) if layer == "Linear" else (3, 4, 3)
    torch.manual_seed(0)
    tm = getattr(torch.nn, layer)(*args).double()
    fm = getattr(nn, layer)(*args).double()
    apply, remove = NORMS[kind]
    apply(torch.nn.utils, tm)
    apply(nn.utils, fm)
    assert list(fm.state_dict()) == list(tm.state_dict())
    fm.load_state_dict({k: N(v) for k, v in tm.state_dict().items()})
    tm.train(train)
    fm.train(train)
    a = rng.standard_normal((2, 3) if layer == "Linear" else (2, 3, 5, 5))
    for _ in range(2):  # power iterations advance in training
        to, fo = tm(torch.tensor(a)), fm(fastnn.tensor(a))
    np.testing.assert_allclose(N(fo), N(to), atol=1e-12)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(fm.state_dict()[k].numpy(), N(v), atol=1e-12)
    w = rng.standard_normal(tuple(to.shape))
    (to * torch.tensor(w)).sum().backward()
    (fo * fastnn.tensor(w)).sum().backward()
    fparams = dict(fm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(fparams[name].grad.numpy(), N(p.grad), atol=1e-12)
    remove(torch.nn.utils, tm)
    remove(nn.utils, fm)
    assert list(fm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(fm.weight.detach().numpy(), N(tm.weight), atol=1e-12)
    assert type(fm) is getattr(nn, layer)


def test_parametrization_custom_module_and_setter():
    class Symmetric(nn.Module):
        def forward(self, x):
            return (x + x.transpose(0, 1)) / 2

        def right_inverse(self, a):
            return a

    lin = nn.Linear(3, 3)
    nn.utils.parametrize.register_parametrization(lin, "weight", Symmetric())
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    assert nn.utils.parametrize.is_parametrized(lin, "weight")
    assert "parametrizations.weight.original" in lin.state_dict()
    lin.weight = fastnn.tensor(np.eye(3, dtype=np.float32))
    np.testing.assert_allclose(lin.parametrizations.weight.original.detach().numpy(), np.eye(3))
    with nn.utils.parametrize.cached():
        lin(fastnn.randn(2, 3)).sum().backward()
    assert lin.parametrizations.weight.original.grad is not None


def test_torch_nn_modules_import_paths():
    import importlib
    for name in ("module", "linear", "conv", "loss", "activation", "container", "rnn", "batchnorm", "normalization",
                 "dropout", "pooling", "sparse", "transformer", "utils", "padding", "pixelshuffle", "upsampling",
                 "instancenorm", "flatten", "fold", "distance", "channelshuffle"):
        ours = importlib.import_module(f"fastnn.nn.modules.{name}")
        theirs = importlib.import_module(f"torch.nn.modules.{name}")
        for attr in getattr(ours, "__all__", []):
            if hasattr(nn, attr):  # a layer: the same class as fastnn.nn's
                assert getattr(ours, attr) is getattr(nn, attr), (name, attr)
            assert hasattr(theirs, attr), f"torch.nn.modules.{name} has no {attr}"
    from fastnn.nn.modules.utils import _pair, _triple, _single
    assert _pair(3) == (3, 3) and _triple((1, 2, 3)) == (1, 2, 3) and _single(4) == (4,)
    assert nn.modules.conv.Conv2d is nn.Conv2d and nn.modules.Module is nn.Module


@pytest.mark.parametrize("layer", ["Conv2d", "ConvTranspose2d", "Linear"])
def test_fuse_batch_norm_into_the_layer_matches_torch(layer):
    rng = np.random.default_rng(4)
    torch.manual_seed(0)
    if layer == "Linear":
        tl, fl, tb, fb = torch.nn.Linear(3, 4), nn.Linear(3, 4), torch.nn.BatchNorm1d(4), nn.BatchNorm1d(4)
        shape = (5, 3)
    else:
        tl, fl = getattr(torch.nn, layer)(3, 4, 3), getattr(nn, layer)(3, 4, 3)
        tb, fb = torch.nn.BatchNorm2d(4), nn.BatchNorm2d(4)
        shape = (2, 3, 6, 6)
    with torch.no_grad():
        tb.running_mean.normal_()
        tb.running_var.uniform_(0.5, 2)
        tb.weight.normal_()
        tb.bias.normal_()
    for t, f in ((tl, fl), (tb, fb)):
        t.eval()
        f.eval()
        f.load_state_dict({k: N(v) for k, v in t.state_dict().items()})
    if layer == "Linear":
        tf, ff = torch.nn.utils.fuse_linear_bn_eval(tl, tb), nn.utils.fuse_linear_bn_eval(fl, fb)
    else:
        tr = layer == "ConvTranspose2d"
        tf, ff = torch.nn.utils.fuse_conv_bn_eval(tl, tb, tr), nn.utils.fuse_conv_bn_eval(fl, fb, tr)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(N(ff(fastnn.tensor(x))), N(tf(torch.tensor(x))), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(N(ff(fastnn.tensor(x))), N(fb(fl(fastnn.tensor(x)))), rtol=1e-5, atol=1e-5)


def test_total_norm_clip_with_norm_and_functional_call_match_torch():
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    fps, tps = [], []
    for g in grads:
        fp = nn.Parameter(fastnn.zeros(*g.shape, dtype=fastnn.float64))
        tp = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        fp.grad, tp.grad = fastnn.tensor(g.copy()), torch.tensor(g.copy())
        fps.append(fp)
        tps.append(tp)
    for p in (2.0, 1.0, float("inf")):
        assert np.isclose(nn.utils.get_total_norm([q.grad for q in fps], p).item(),
                          torch.nn.utils.get_total_norm([q.grad for q in tps], p).item())
    tn, ttn = nn.utils.get_total_norm([q.grad for q in fps]), torch.nn.utils.get_total_norm([q.grad for q in tps])
    nn.utils.clip_grads_with_norm_(fps, 0.5, tn)
    torch.nn.utils.clip_grads_with_norm_(tps, 0.5, ttn)
    for f, t in zip(fps, tps):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy())
    torch.manual_seed(0)
    tl, fl = torch.nn.Linear(3, 2), nn.Linear(3, 2)
    fl.load_state_dict({k: N(v) for k, v in tl.state_dict().items()})
    w = rng.standard_normal((2, 3)).astype(np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    fo = nn.utils.stateless.functional_call(fl, {"weight": fastnn.tensor(w)}, (fastnn.tensor(x),))
    to = torch.func.functional_call(tl, {"weight": torch.tensor(w)}, (torch.tensor(x),))
    np.testing.assert_allclose(N(fo), N(to), rtol=1e-6)
    np.testing.assert_allclose(N(fl.weight), N(tl.weight))  # restored afterwards


def test_parameters_to_vector_is_differentiable_and_vector_to_parameters_copies():
    torch.manual_seed(0)
    tl = torch.nn.Linear(3, 2)
    fl = nn.Linear(3, 2)
    fl.load_state_dict({k: N(v) for k, v in tl.state_dict().items()})
    fv, tv = nn.utils.parameters_to_vector(fl.parameters()), torch.nn.utils.parameters_to_vector(tl.parameters())
    np.testing.assert_allclose(N(fv), N(tv))
    w = np.arange(8, dtype=np.float32)
    (fv * fastnn.tensor(w)).sum().backward()
    (tv * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(fl.weight.grad.numpy(), tl.weight.grad.numpy())
    np.testing.assert_allclose(fl.bias.grad.numpy(), tl.bias.grad.numpy())
    new = np.linspace(-1, 1, 8).astype(np.float32)
    nn.utils.vector_to_parameters(fastnn.tensor(new), fl.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tl.parameters())
    np.testing.assert_allclose(N(fl.weight), N(tl.weight))
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(new, fl.parameters())
