"""RNN, LSTM, GRU and their cells: gradcheck, PyTorch parity, states, errors."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.autograd import gradcheck


@pytest.fixture(autouse=True)
def _seed():
    fastnn.manual_seed(0)


def _t(*shape):
    return fastnn.randn(*shape, dtype=fastnn.float64, requires_grad=True)


LAYERS = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("name,extra", LAYERS, ids=lambda v: str(v))
def test_two_layer_bidirectional_batch_first_gradcheck_with_initial_states(name, extra):
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=True, **extra).double()
    params = list(layer.parameters())
    x = _t(2, 3, 3)          # (batch, time, features)
    h0, c0 = _t(4, 2, 4), _t(4, 2, 4)

    def run(x, h0, c0, *p):
        out, state = layer(x, (h0, c0) if name == "LSTM" else h0)
        return (out,) + (tuple(state) if name == "LSTM" else (state,))
    assert gradcheck(run, (x, h0, c0, *params))


@pytest.mark.parametrize("num_layers", [1, 2])
def test_one_direction_batch_first_lstm_gradcheck_with_initial_states(num_layers):
    # one direction runs batch first in place (the kernels read and write (B, T, .)); two layers chain that layout
    layer = nn.LSTM(3, 4, num_layers=num_layers, batch_first=True).double()
    x, h0, c0 = _t(2, 5, 3), _t(num_layers, 2, 4), _t(num_layers, 2, 4)

    def run(x, h0, c0, *p):
        out, (h, c) = layer(x, (h0, c0))
        return out, h, c
    assert gradcheck(run, (x, h0, c0, *layer.parameters()))


@pytest.mark.parametrize("name,extra", LAYERS, ids=lambda v: str(v))
def test_single_layer_unbatched_without_bias_gradcheck(name, extra):
    layer = getattr(nn, name)(2, 3, bias=False, **extra).double()
    assert not [n for n, _ in layer.named_parameters() if "bias" in n]
    assert gradcheck(lambda x, *p: layer(x)[0], (_t(5, 2), *layer.parameters()))


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_gradcheck(name):
    cell = getattr(nn, name)(3, 4).double()
    x, h, c = _t(2, 3), _t(2, 4), _t(2, 4)

    def run(x, h, c, *p):
        return cell(x, (h, c)) if name == "LSTMCell" else cell(x, h)
    assert gradcheck(run, (x, h, c, *cell.parameters()))


def test_parameter_names_shapes_and_initialisation_follow_pytorch():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert shapes["weight_ih_l0"] == (80, 10) and shapes["weight_ih_l1_reverse"] == (80, 40)
    assert shapes["weight_hh_l1"] == (80, 20) and shapes["bias_hh_l0_reverse"] == (80,)
    assert len(shapes) == 16
    gru = nn.GRU(6, 7)
    assert tuple(gru.weight_ih_l0.shape) == (21, 6)
    for p, hidden in [(p, 20) for p in lstm.parameters()] + [(p, 7) for p in gru.parameters()]:
        bound = 1 / np.sqrt(hidden)
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and a.std() > bound / 3  # U(-1/sqrt(H), 1/sqrt(H))
    assert nn.LSTMCell(3, 5).weight_hh.shape == (20, 5)


def test_output_and_state_shapes():
    for batch_first in (False, True):
        lstm = nn.LSTM(3, 5, num_layers=3, bidirectional=True, batch_first=batch_first)
        x = fastnn.randn(2, 7, 3) if batch_first else fastnn.randn(7, 2, 3)
        out, (h, c) = lstm(x)
        assert out.shape == ((2, 7, 10) if batch_first else (7, 2, 10))
        assert h.shape == c.shape == (6, 2, 5)
    out, h = nn.GRU(3, 5)(fastnn.randn(4, 3))          # unbatched
    assert out.shape == (4, 5) and h.shape == (1, 5)
    assert nn.GRUCell(3, 5)(fastnn.randn(3)).shape == (5,)


def test_final_state_is_the_last_output_of_each_direction():
    gru = nn.GRU(2, 3, bidirectional=True).double()
    out, h = gru(fastnn.randn(6, 4, 2, dtype=fastnn.float64))
    o, hn = out.detach().numpy(), h.detach().numpy()
    np.testing.assert_array_equal(hn[0], o[-1, :, :3])     # forward direction ends at t = T-1
    np.testing.assert_array_equal(hn[1], o[0, :, 3:])      # reverse direction ends at t = 0


def test_inter_layer_dropout_only_in_training():
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = fastnn.randn(5, 2, 3)
    a, b = lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy()
    assert not np.allclose(a, b)                           # two dropout masks
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


def test_float32_layer_keeps_float32():
    out, (h, c) = nn.LSTM(3, 4)(fastnn.randn(5, 2, 3))
    assert out.dtype == h.dtype == c.dtype == fastnn.float32
    out.sum().backward()


def test_bad_input_raises_naming_the_argument():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="input_size"):
        lstm(fastnn.randn(5, 2, 6))
    with pytest.raises(ValueError, match="h_0"):
        lstm(fastnn.randn(5, 2, 3), (fastnn.zeros(1, 2, 4), fastnn.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="c_0"):
        lstm(fastnn.randn(5, 2, 3), (fastnn.zeros(2, 2, 4), fastnn.zeros(2, 3, 4)))
    with pytest.raises(TypeError, match="hx"):
        lstm(fastnn.randn(5, 2, 3), fastnn.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="empty sequence"):
        lstm(fastnn.randn(0, 2, 3))
    with pytest.raises(TypeError, match="input"):
        lstm(fastnn.zeros(5, 2, 3, dtype=fastnn.int64))
    with pytest.raises(ValueError, match="input"):
        lstm(fastnn.randn(2, 5, 2, 3))
    with pytest.raises(ValueError, match="hx"):
        nn.GRU(3, 4)(fastnn.randn(5, 2, 3), fastnn.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="input_size"):
        nn.GRUCell(3, 4)(fastnn.randn(2, 5))
    with pytest.raises(ValueError, match="hx"):
        nn.GRUCell(3, 4)(fastnn.randn(2, 3), fastnn.zeros(3, 4))


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_pytorch_state_dict_gives_the_same_outputs_and_gradients(name, bidirectional):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 5, num_layers=2, bidirectional=bidirectional, batch_first=True).double()
    fm = getattr(nn, name)(3, 5, num_layers=2, bidirectional=bidirectional, batch_first=True, dtype=fastnn.float64)
    fm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(4 if bidirectional else 2, 2, 5, dtype=torch.float64)
    out, _ = tm(x, (h, h) if name == "LSTM" else h)
    (out ** 2).sum().backward()
    fx = fastnn.tensor(x.detach().numpy(), requires_grad=True)
    fh = fastnn.tensor(h.numpy())
    fout, _ = fm(fx, (fh, fh) if name == "LSTM" else fh)
    (fout * fout).sum().backward()
    np.testing.assert_allclose(fout.detach().numpy(), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fx.grad.numpy(), x.grad.numpy(), rtol=1e-9, atol=1e-12)
    fparams = dict(fm.named_parameters())
    for k, p in tm.named_parameters():
        np.testing.assert_allclose(fparams[k].grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_pytorch_cells_match(name):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(3, 5).double()
    fm = getattr(nn, name)(3, 5, dtype=fastnn.float64)
    fm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = torch.randn(2, 3, dtype=torch.float64)
    want, got = tm(x), fm(fastnn.tensor(x.numpy()))
    want = want[0] if isinstance(want, tuple) else want
    got = got[0] if isinstance(got, tuple) else got
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
