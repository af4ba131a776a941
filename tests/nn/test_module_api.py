"""Module API: registration order and names, state_dict round trips, modes, casting, containers, init."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn


class Block(nn.Module):
    def __init__(self):
        super(Block, self).__init__()  # the old-style super call must work
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(fastnn.ones(1))

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2)])
        self.heads = nn.ModuleDict({"b": nn.Linear(2, 1), "a": nn.Linear(2, 3)})
        self.register_buffer("steps", fastnn.zeros(()))
        self.register_buffer("scratch", fastnn.zeros(2), persistent=False)

    def forward(self, x):
        x = self.first(x)
        for m in self.layers:
            x = m(x)
        return self.heads["a"](x)


def test_parameter_order_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["first.scale", "first.fc.weight", "first.fc.bias", "first.norm.weight", "first.norm.bias",
                     "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                     "heads.b.weight", "heads.b.bias", "heads.a.weight", "heads.a.bias"]
    assert len(list(net.parameters())) == len(names)
    assert all(p.requires_grad and p.is_leaf for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch", "first.norm.running_mean",
                                                   "first.norm.running_var", "first.norm.num_batches_tracked"]
    mods = [n for n, _ in net.named_modules()]
    assert mods[:4] == ["", "first", "first.fc", "first.norm"]
    assert "layers.1" in mods and "heads.a" in mods
    assert [n for n, _ in net.named_children()] == ["first", "layers", "heads"]
    assert net.get_submodule("first.fc") is net.first.fc


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_state_dict_keys_exclude_non_persistent_and_load_numpy():
    net = Net()
    sd = net.state_dict()
    assert "scratch" not in sd and "steps" in sd and "first.norm.num_batches_tracked" in sd
    assert not any(v.requires_grad for v in sd.values())
    other = Net()
    other.load_state_dict({k: v.numpy().copy() for k, v in sd.items()})
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    x = fastnn.randn(5, 3)
    net.eval(), other.eval()
    np.testing.assert_allclose(net(x).detach().numpy(), other(x).detach().numpy())


def test_state_dict_shares_memory_and_load_copies_in_place():
    lin = nn.Linear(2, 3)
    sd = lin.state_dict()
    assert np.shares_memory(sd["weight"].numpy(), lin.weight.detach().numpy())
    w_before = lin.weight
    lin.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.ones(3)})
    assert lin.weight is w_before and lin.weight.dtype == fastnn.float32
    np.testing.assert_array_equal(lin.bias.detach().numpy(), 1)


def test_load_state_dict_strict_errors():
    lin = nn.Linear(2, 3)
    with pytest.raises(KeyError, match="missing keys.*bias"):
        lin.load_state_dict({"weight": np.zeros((3, 2))})
    with pytest.raises(KeyError, match="unexpected keys.*extra"):
        lin.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(3), "extra": np.zeros(1)})
    res = lin.load_state_dict({"weight": np.zeros((3, 2)), "extra": np.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    with pytest.raises(ValueError, match="size mismatch for weight"):
        lin.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(3)})


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.first.norm.training
    assert net.eval() is net
    assert not net.training and not net.first.norm.training and not net.layers[1].training
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_and_requires_grad():
    lin = nn.Linear(3, 2)
    lin(fastnn.randn(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(lin.weight.grad.numpy(), 0)
    lin.zero_grad()
    assert lin.weight.grad is None
    lin.requires_grad_(False)
    assert not lin(fastnn.randn(4, 3)).requires_grad


def test_apply_visits_children_first():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Sequential", "Sequential"]

    def init_zero(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(init_zero)
    assert all(np.all(m.weight.detach().numpy() == 0) for m in net.modules() if isinstance(m, nn.Linear))


def test_to_double_casts_params_and_buffers_in_place():
    net = Net()
    params = list(net.parameters())
    net.double()
    assert all(p.dtype == fastnn.float64 for p in net.parameters())
    assert net.first.norm.running_mean.dtype == fastnn.float64
    assert net.first.norm.num_batches_tracked.dtype == fastnn.int64
    assert all(a is b for a, b in zip(params, net.parameters()))  # optimizers keep working
    net.eval()
    out = net(fastnn.randn(3, 3, dtype=fastnn.float64))
    assert out.dtype == fastnn.float64
    net.to(fastnn.float32)
    assert net.first.fc.weight.dtype == fastnn.float32


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(fastnn.ones(2))
    with pytest.raises(TypeError, match="Parameter"):
        m.w = fastnn.ones(2)
    m.w = None
    assert list(m.parameters()) == []
    with pytest.raises(KeyError):
        m.register_buffer("a.b", fastnn.ones(1))
    with pytest.raises(TypeError):
        m.register_buffer("b", np.ones(1))

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="__init__"):
        Early()


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU)
    assert isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    x = fastnn.randn(4, 2)
    np.testing.assert_allclose(seq(x).detach().numpy(), seq[2](seq[1](seq[0](x))).detach().numpy())
    ml = nn.ModuleList()
    ml.append(nn.Linear(1, 1))
    ml.extend([nn.Tanh()])
    assert len(ml) == 2 and [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias"]
    md = nn.ModuleDict()
    md["x"] = nn.Identity()
    assert "x" in md and list(md.keys()) == ["x"]
    pl = nn.ParameterList([nn.Parameter(fastnn.ones(2)), nn.Parameter(fastnn.zeros(1))])
    assert len(list(pl.parameters())) == 2


def test_flatten_dropout_identity_modules():
    x = fastnn.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Identity()(x) is x
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    d.train()
    fastnn.manual_seed(0)
    y = d(fastnn.ones(1000))
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}


# ---------------------------------------------------------------- default init
def _bound_and_spread(t, bound):
    a = t.detach().numpy()
    assert np.all(np.abs(a) <= bound + 1e-7)
    # a uniform(-b, b) sample of this size reaches near both ends and has std b/sqrt(3)
    assert a.max() > 0.9 * bound and a.min() < -0.9 * bound
    np.testing.assert_allclose(a.std(), bound / math.sqrt(3), rtol=0.1)


def test_linear_default_init_is_pytorchs():
    fastnn.manual_seed(0)
    lin = nn.Linear(50, 400)
    _bound_and_spread(lin.weight, 1 / math.sqrt(50))
    _bound_and_spread(lin.bias, 1 / math.sqrt(50))


def test_other_default_inits():
    emb = nn.Embedding(300, 20, padding_idx=3)
    w = emb.weight.detach().numpy()
    np.testing.assert_array_equal(w[3], 0)
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    ln = nn.LayerNorm(5)
    np.testing.assert_array_equal(ln.weight.detach().numpy(), 1)
    np.testing.assert_array_equal(ln.bias.detach().numpy(), 0)
    bn = nn.BatchNorm1d(4)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)


def test_init_functions_match_formulas():
    w = fastnn.empty(200, 100)
    nn.init.xavier_uniform_(w)
    _bound_and_spread(w, math.sqrt(6 / 300))
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    _bound_and_spread(w, math.sqrt(2) * math.sqrt(3 / 100))
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    np.testing.assert_allclose(w.numpy().std(), math.sqrt(2 / 200), rtol=0.05)
    nn.init.xavier_normal_(w, gain=2.0)
    np.testing.assert_allclose(w.numpy().std(), 2 * math.sqrt(2 / 300), rtol=0.05)
    nn.init.constant_(w, 0.5)
    assert np.all(w.numpy() == 0.5)
    q = fastnn.empty(6, 4)
    nn.init.orthogonal_(q)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(4), atol=1e-5)
    assert nn.init.calculate_gain("tanh") == 5 / 3
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    p = nn.Parameter(fastnn.ones(3, 2))
    nn.init.uniform_(p, -1, 1)  # works on a parameter requiring grad
    assert p.requires_grad


def test_layer_bad_input():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="features"):
        lin(fastnn.ones(4, 5))
    with pytest.raises(TypeError, match="input"):
        lin(fastnn.ones(4, 3, dtype=fastnn.int64))
    with pytest.raises(TypeError, match="dtype"):
        lin(fastnn.ones(4, 3, dtype=fastnn.float64))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="channels"):
        bn(fastnn.ones(4, 2))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        bn(fastnn.ones(4))
    with pytest.raises(ValueError, match="more than 1 value"):
        bn(fastnn.ones(1, 3))
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="out of range"):
        emb(fastnn.tensor([0, 4]))
    with pytest.raises(TypeError, match="int64"):
        emb(fastnn.tensor([0.0]))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(4)(fastnn.ones(2, 3))
