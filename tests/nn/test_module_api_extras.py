"""Module API breadth (hooks, containers, lazy modules, casts, repr), the random layers (channel and
alpha dropout, RReLU, gumbel-softmax) and the in-place functional forms, against PyTorch where
PyTorch is deterministic and against their defining statistics where it is not."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

torch = pytest.importorskip("torch")


def N(t):
    return t.detach().numpy()


# ------------------------------------------------------------------ hooks

def _pair_of_nets():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    f = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    f.load_state_dict({k: N(v) for k, v in t.state_dict().items()})
    return t, f


def test_forward_hooks_modify_inputs_and_outputs_like_torch():
    t, f = _pair_of_nets()
    log = {"t": [], "f": []}
    for key, net in (("t", t), ("f", f)):
        net[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h = net[2].register_forward_hook(lambda m, args, out: out + 1)
        net[1].register_forward_hook(lambda m, args, out, key=key: log[key].append(tuple(out.shape)))
        net[2].register_forward_pre_hook(lambda m, args, kwargs: ((args[0] - 0.5,), kwargs), with_kwargs=True)
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(N(f(fastnn.tensor(x))), N(t(torch.tensor(x))))
    assert log["f"] == log["t"] == [(5, 4)]
    h.remove()  # only the fastnn hook; the torch one stays
    assert np.allclose(N(f(fastnn.tensor(x))) + 1, N(t(torch.tensor(x))))


def test_full_backward_hooks_see_and_replace_gradients_like_torch():
    t, f = _pair_of_nets()
    seen = {"t": [], "f": []}
    for key, net in (("t", t), ("f", f)):
        def hook(m, gin, gout, key=key):
            seen[key].append((N(gin[0]).copy(), N(gout[0]).copy()))
            return (gin[0] * 3,)
        net[2].register_full_backward_hook(hook)
        net[0].register_full_backward_pre_hook(lambda m, gout: (gout[0] * 0.5,))
    x = np.random.default_rng(1).standard_normal((5, 3))
    fx, tx = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    f(fx).sum().backward()
    t(tx).sum().backward()
    (fi, fo), (ti, to) = seen["f"][0], seen["t"][0]
    np.testing.assert_allclose(fi, ti)
    np.testing.assert_allclose(fo, to)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(f[0].weight.grad.numpy(), t[0].weight.grad.numpy())


def test_backward_hook_without_input_grad_gets_none():
    lin = nn.Linear(3, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gin, gout: got.append((gin, gout[0].shape)))
    lin(fastnn.randn(4, 3)).sum().backward()
    assert got == [((None,), (4, 2))]


# ------------------------------------------------------------------ containers and traversal

def test_sequential_editing_matches_torch():
    def build(lib):
        s = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh())
        s.append(lib.nn.Sigmoid())
        s.insert(1, lib.nn.Identity())
        s.extend([lib.nn.ReLU6()])
        del s[0]
        s.insert(-1, lib.nn.Softsign())
        popped = s.pop(0)
        return [type(m).__name__ for m in s], list(s._modules), type(popped).__name__, \
            [type(m).__name__ for m in s[1:3]], len(s + s)
    assert build(fastnn) == build(torch)


def test_parameter_dict_and_list_match_torch():
    def build(lib):
        d = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2)), "b": lib.nn.Parameter(lib.zeros(3))})
        d["c"] = lib.nn.Parameter(lib.ones(1))
        d.update({"a": lib.nn.Parameter(lib.zeros(4))})
        d.pop("b")
        pl = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2))])
        pl.extend([lib.nn.Parameter(lib.ones(3))])
        pl.append(lib.nn.Parameter(lib.ones(4)))
        m = lib.nn.Module()
        m.d, m.pl = d, pl
        return list(d.keys()), "c" in d, [tuple(p.shape) for p in pl], sorted(dict(m.named_parameters())), len(d)
    assert build(fastnn) == build(torch)


def test_traversal_and_lookup_match_torch():
    def build(lib):
        root = lib.nn.Module()
        root.block = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        root.head = lib.nn.ModuleDict({"out": lib.nn.Linear(3, 1)})
        root.register_module("extra", lib.nn.ReLU())
        return ([n for n, _ in root.named_modules()], [n for n, _ in root.named_children()],
                [n for n, _ in root.named_buffers()], tuple(root.get_parameter("block.0.weight").shape),
                tuple(root.get_buffer("block.1.running_mean").shape), type(root.get_submodule("head.out")).__name__,
                sum(1 for _ in root.modules()), sum(1 for _ in root.children()), sum(1 for _ in root.buffers()))
    assert build(fastnn) == build(torch)
    root = nn.Module()
    with pytest.raises(AttributeError):
        root.get_parameter("nope")


def test_module_casts_and_requires_grad():
    lin = nn.Linear(2, 3)
    assert lin.double().weight.dtype == fastnn.float64
    assert lin.float().weight.dtype == fastnn.float32
    assert lin.to(fastnn.float64).bias.dtype == fastnn.float64
    lin.requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())
    if fastnn.bfloat16 is None:
        with pytest.raises(TypeError):
            lin.bfloat16()  # no bfloat16 storage without ml_dtypes: a clear error, not a silent float32
    else:
        assert lin.bfloat16().weight.dtype == fastnn.bfloat16  # real bfloat16 storage through ml_dtypes


@pytest.mark.parametrize("make", [
    lambda t: t.nn.Conv3d(2, 4, 3, stride=2, padding=1, bias=False),
    lambda t: t.nn.ConvTranspose1d(2, 3, 2, output_padding=1, stride=2),
    lambda t: t.nn.MaxPool1d(3), lambda t: t.nn.AdaptiveAvgPool2d((2, 3)), lambda t: t.nn.GroupNorm(2, 4),
    lambda t: t.nn.InstanceNorm2d(3), lambda t: t.nn.Dropout2d(0.3), lambda t: t.nn.PixelShuffle(2),
    lambda t: t.nn.ReflectionPad2d(1), lambda t: t.nn.Bilinear(2, 3, 4), lambda t: t.nn.LocalResponseNorm(2),
    lambda t: t.nn.Hardshrink(0.3), lambda t: t.nn.Softmin(1), lambda t: t.nn.PReLU(), lambda t: t.nn.ZeroPad1d(2),
    lambda t: t.nn.ChannelShuffle(2), lambda t: t.nn.Upsample(scale_factor=2, mode="bilinear"),
    lambda t: t.nn.Fold((3, 4), 2), lambda t: t.nn.ConstantPad1d(1, 2.0), lambda t: t.nn.Threshold(0.1, 2.0),
    lambda t: t.nn.LayerNorm(3, bias=False), lambda t: t.nn.BatchNorm1d(3, bias=False), lambda t: t.nn.ELU(0.5),
    lambda t: t.nn.GroupNorm(2, 4, bias=False), lambda t: t.nn.InstanceNorm1d(3, affine=True),
    *[lambda t, c=c: eval(f"t.nn.{c}") for c in (
        "ReLU(True)", "ReLU6(True)", "LeakyReLU(0.2, True)", "ELU(0.5, True)", "SiLU(True)", "Hardtanh(-2, 2, True)",
        "CELU(0.5, True)", "SELU(True)", "Threshold(0.1, 2, True)", "RReLU(0.1, 0.3, True)", "Hardswish(True)",
        "Mish(True)", "Hardsigmoid(True)", "Dropout(0.2, True)", "Embedding(10, 3, padding_idx=0)",
        "Unflatten(1, (2, 3))", "GELU()", "Softplus(beta=2)", "MaxUnpool2d(2)", "MaxUnpool1d(2, 1)")],
])
def test_repr_matches_torch(make):
    assert repr(make(fastnn)) == repr(make(torch))


def test_lazy_modules_infer_sizes_and_match_torch():
    rng = np.random.default_rng(2)
    for make, shape in [(lambda t: t.nn.LazyLinear(4), (3, 5)), (lambda t: t.nn.LazyConv2d(3, 2), (2, 4, 5, 5)),
                        (lambda t: t.nn.LazyConvTranspose1d(2, 3), (2, 3, 4)),
                        (lambda t: t.nn.LazyBatchNorm1d(), (4, 3)),
                        (lambda t: t.nn.LazyInstanceNorm1d(affine=True), (2, 3, 5))]:
        torch.manual_seed(0)
        t, f = make(torch), make(fastnn)
        x = rng.standard_normal(shape).astype(np.float32)
        t(torch.tensor(x))
        f(fastnn.tensor(x))
        assert type(f).__name__ == type(t).__name__
        # PyTorch's lazy instance norm materialises running-stat buffers it never uses; load what fastnn has
        own = f.state_dict()
        f.load_state_dict({k: N(v) for k, v in t.state_dict().items() if k in own})
        np.testing.assert_allclose(N(f(fastnn.tensor(x))), N(t(torch.tensor(x))), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ random layers

def test_dropout2d_on_2d_input_drops_elements_as_torch_does():
    # PyTorch's mnist_rnn example applies Dropout2d to (batch, features): PyTorch warns and drops per element
    x = fastnn.ones(400, 50)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        y = nn.Dropout2d(0.25)(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    rows_all_zero = (y == 0).all(axis=1).mean()
    assert abs((y == 0).mean() - 0.25) < 0.02 and rows_all_zero < 0.01  # elements, not whole rows
    with pytest.warns(UserWarning):
        torch_y = torch.nn.Dropout2d(0.25)(torch.ones(400, 50)).numpy()
    assert abs((torch_y == 0).mean() - 0.25) < 0.02 and (torch_y == 0).all(axis=1).mean() < 0.01
    with pytest.raises(RuntimeError):
        F.dropout1d(fastnn.ones(2, 3, 4, 5))


def test_functional_channel_dropouts_match_their_modules():
    for fname, cls, shape in (("dropout1d", "Dropout1d", (20, 30, 4)), ("dropout3d", "Dropout3d", (10, 30, 2, 2, 2))):
        x = fastnn.randn(*shape)
        fastnn.manual_seed(11)
        a = getattr(F, fname)(x, 0.4, training=True).numpy()
        fastnn.manual_seed(11)
        b = getattr(nn, cls)(0.4)(x).numpy()
        np.testing.assert_array_equal(a, b)
        assert getattr(F, fname)(x, 0.4, training=False) is x


@pytest.mark.parametrize("cls,shape", [("Dropout1d", (40, 30, 7)), ("Dropout2d", (40, 30, 3, 3)),
                                       ("Dropout3d", (20, 30, 2, 2, 2)), ("Dropout2d", (30, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    fastnn.manual_seed(0)
    layer = getattr(nn, cls)(p=0.3)
    x = fastnn.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    y = layer(x)
    channels = y.detach().numpy().reshape(shape[0] * shape[1], -1)  # a 3-D Dropout2d input is (N, C, L)
    zero = (channels == 0).all(axis=1)
    kept = ~zero
    assert 0.2 < zero.mean() < 0.4
    xs = x.detach().numpy().reshape(channels.shape)
    np.testing.assert_allclose(channels[kept], xs[kept] / 0.7, rtol=1e-6)
    y.sum().backward()
    g = x.grad.numpy().reshape(channels.shape)
    np.testing.assert_allclose(g[kept], 1 / 0.7, rtol=1e-6)
    assert (g[zero] == 0).all()
    layer.eval()
    assert layer(x) is x


def test_alpha_dropout_keeps_selu_statistics():
    fastnn.manual_seed(1)
    x = fastnn.randn(200000)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    alpha, p = 1.7580993408473766, 0.2
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(y, -alpha * a * (1 - p))  # every dropped unit takes this one value
    assert abs(dropped.mean() - 0.2) < 0.01
    fy = F.feature_alpha_dropout(fastnn.randn(500, 40, 10), 0.5, training=True).numpy()
    per_channel = fy.reshape(500 * 40, 10)
    const = np.all(per_channel == per_channel[:, :1], axis=1)
    assert 0.45 < const.mean() < 0.55
    assert F.alpha_dropout(x, 0.5, training=False) is x


def test_rrelu_training_slopes_within_bounds_and_gradient_uses_them():
    fastnn.manual_seed(3)
    x = fastnn.tensor(-np.ones(10000), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    fastnn.manual_seed(4)
    logits = fastnn.tensor(np.log(np.array([[0.1, 0.6, 0.3]] * 20000)), requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    v = y.detach().numpy()
    assert set(np.unique(v)) == {0.0, 1.0} and (v.sum(1) == 1).all()
    np.testing.assert_allclose(v.mean(0), [0.1, 0.6, 0.3], atol=0.015)  # Gumbel-max samples the categorical
    (y * fastnn.tensor(np.arange(3.0))).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0
    soft = F.gumbel_softmax(logits, tau=1.0).detach().numpy()
    np.testing.assert_allclose(soft.sum(1), 1, rtol=1e-6)


# ------------------------------------------------------------------ in-place functional forms

@pytest.mark.parametrize("name,args", [("relu_", ()), ("elu_", (0.5,)), ("selu_", ()), ("celu_", (0.7,)),
                                       ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)), ("threshold_", (0.1, 2.0)),
                                       ("rrelu_", (0.1, 0.3))])
def test_inplace_functions_write_their_input_like_torch(name, args):
    a = np.random.default_rng(5).standard_normal((3, 4))
    f, t = fastnn.tensor(a), torch.tensor(a)
    assert getattr(F, name)(f, *args) is f
    getattr(torch.nn.functional, name)(t, *args)
    np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        getattr(F, name)(fastnn.tensor(a, requires_grad=True), *args)


def test_inplace_flag_on_modules_and_functions():
    x = fastnn.tensor(np.array([-1.0, 2.0]))
    assert nn.Hardswish(inplace=True)(x) is x
    np.testing.assert_allclose(x.numpy(), [-1.0 * 2 / 6, 2.0 * 5 / 6])
    y = fastnn.tensor(np.ones((2, 3, 4)))
    assert F.dropout2d(y, 0.5, training=True, inplace=True) is y
    assert F.dropout(y, 0.5, training=True, inplace=True) is y
    # inside the autograd graph the layers still train (a new tensor with the same values)
    w = fastnn.tensor(np.array([-1.0, 2.0, -3.0]), requires_grad=True)
    h = w * 1.0
    out = nn.SELU(inplace=True)(h)
    ref = F.selu(w * 1.0)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    out.sum().backward()
    assert w.grad is not None
    nn.Dropout(0.5, inplace=True)(w * 1.0).sum().backward()


def test_convert_sync_batchnorm_keeps_tensors_and_structure_like_torch():
    def build(lib):
        net = lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.Sequential(lib.nn.BatchNorm1d(4)))
        net.eval()
        out = lib.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        return out, [type(m).__name__ for m in out.modules()], sorted(out.state_dict()), out[1].training
    (_, fnames, fkeys, ftrain), (_, tnames, tkeys, ttrain) = build(fastnn), build(torch)
    assert (fnames, fkeys, ftrain) == (tnames, tkeys, ttrain)
    src = nn.BatchNorm2d(3)
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(src)
    assert conv.weight is src.weight and conv.running_mean is src.running_mean


def test_global_module_hooks_run_for_every_module_like_torch():
    from fastnn.nn.modules import module as fmod
    import torch.nn.modules.module as tmod
    logs = {}
    for key, lib, mod in (("f", fastnn, fmod), ("t", torch, tmod)):
        log = logs[key] = []
        torch.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
        h1 = mod.register_module_forward_pre_hook(lambda m, args, log=log: log.append(("pre", type(m).__name__)))
        h2 = mod.register_module_forward_hook(lambda m, args, out, log=log: log.append(("post", type(m).__name__)))
        h3 = mod.register_module_full_backward_hook(lambda m, gi, go, log=log: log.append(("back", type(m).__name__)))
        try:
            net(lib.ones(4, 2, requires_grad=True)).sum().backward()
        finally:
            for h in (h1, h2, h3):
                h.remove()
        net(lib.ones(1, 2))  # removed: nothing more is logged
    assert logs["f"] == logs["t"]
    assert fmod._addindent("a\nb", 2) == tmod._addindent("a\nb", 2)


@pytest.mark.parametrize("name,kw", [("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.2}),
                                     ("silu", {}), ("hardtanh", {"min_val": -0.5}), ("elu", {"alpha": 0.3}),
                                     ("selu", {}), ("celu", {}), ("hardswish", {}), ("mish", {}),
                                     ("threshold", {"threshold": 0.1, "value": 2.0})])
def test_inplace_keyword_writes_outside_the_graph_like_torch(name, kw):
    a = np.random.default_rng(7).standard_normal((3, 4)) * 4
    f, t = fastnn.tensor(a), torch.tensor(a)
    assert getattr(F, name)(f, inplace=True, **kw) is f
    getattr(torch.nn.functional, name)(t, inplace=True, **kw)
    np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)


def test_extra_state_assign_set_submodule_like_torch():
    def build(lib):
        class Counter(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 3)
                self.count = 0

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]
        a, b = Counter(), Counter()
        a.count = 7
        sd = a.state_dict()
        b.load_state_dict(sd)
        w = lib.ones(3, 2)
        b.load_state_dict({"lin.weight": w, "lin.bias": lib.zeros(3), "_extra_state": {"count": 2}}, assign=True)
        b.lin.weight.data[0, 0] = 5.0
        b.set_submodule("lin", lib.nn.Linear(2, 4))
        return list(sd), sd["_extra_state"], b.count, float(w[0, 0]), tuple(b.lin.weight.shape)
    assert build(fastnn) == build(torch)


def test_always_call_forward_hook_runs_when_forward_raises_like_torch():
    calls = {}
    for key, lib in (("f", fastnn), ("t", torch)):
        log = calls[key] = []
        lin = lib.nn.Linear(3, 2)
        lin.register_forward_hook(lambda m, a, out, log=log: log.append(out is None), always_call=True)
        lin.register_forward_hook(lambda m, a, out, log=log: log.append("plain"))
        with pytest.raises(Exception):
            lin(lib.ones(2, 4))
        lin(lib.ones(2, 3))
    assert calls["f"] == calls["t"]


def test_data_parallel_runs_the_module_on_the_cpu():
    torch = pytest.importorskip("torch")
    lin = fastnn.nn.Linear(3, 2)
    dp = fastnn.nn.DataParallel(lin)
    x = fastnn.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), lin(x).detach().numpy())
    assert dp.module is lin and list(dp.state_dict()) == ["module.weight", "module.bias"]
    ref = torch.nn.DataParallel(torch.nn.Linear(3, 2))   # PyTorch's keys without GPUs: the same
    assert list(ref.state_dict()) == list(dp.state_dict())
    with pytest.raises(ValueError, match="device_ids"):
        fastnn.nn.DataParallel(lin, device_ids=[0, 1])
