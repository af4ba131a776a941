"""Conv, pooling, upsampling and padding layers: gradcheck, shapes, PyTorch parity, errors."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.autograd import gradcheck


@pytest.fixture(autouse=True)
def _seed():
    fastnn.manual_seed(0)


def _x(*shape):
    return fastnn.randn(*shape, dtype=fastnn.float64, requires_grad=True)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(kernel_size=3, padding="same", dilation=2),
    dict(kernel_size=(2, 4), padding="same"),          # asymmetric 'same' padding
    dict(kernel_size=3, padding="valid", groups=2, bias=False),
])
def test_conv2d_gradcheck(kwargs):
    conv = nn.Conv2d(4, 6, **kwargs).double()
    params = [p for p in conv.parameters()]
    assert gradcheck(lambda x, *p: conv(x), (_x(2, 4, 6, 7), *params))


@pytest.mark.parametrize("padding", [0, 1, 2, (1, 0)])
def test_conv2d_gradcheck_winograd(padding):
    from fastnn.kernels import _conv
    conv = nn.Conv2d(3, 4, 3, padding=padding).double()
    old = _conv._set_conv_path("winograd")
    try:
        assert gradcheck(lambda x, *p: conv(x), (_x(2, 3, 5, 6), *conv.parameters()))
    finally:
        _conv._set_conv_path(old)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), groups=2, dilation=(2, 1)),
])
def test_conv_transpose2d_gradcheck(kwargs):
    conv = nn.ConvTranspose2d(4, 6, **kwargs).double()
    assert gradcheck(lambda x, *p: conv(x), (_x(2, 4, 4, 5), *conv.parameters()))


@pytest.mark.parametrize("layer", [
    nn.MaxPool2d(2), nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.MaxPool2d((2, 3), dilation=(1, 2)),
    nn.AvgPool2d(2), nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=(1, 3)),
])
def test_pool_and_upsample_gradcheck(layer):
    x = fastnn.tensor(np.random.default_rng(1).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0,
                      dtype=fastnn.float64, requires_grad=True)  # distinct values: max pooling is differentiable
    assert gradcheck(layer, (x,))


def test_pad_and_interpolate_gradcheck():
    x = _x(2, 3, 4, 5)
    assert gradcheck(lambda x: F.pad(x, (1, 2, 0, 3), value=0.5), (x,))
    assert gradcheck(lambda x: F.interpolate(x, size=(8, 15)), (x,))
    assert F.pad(x, (1, 2)).shape == (2, 3, 4, 8)


def test_unbatched_input_and_return_indices():
    conv = nn.Conv2d(3, 5, 3)
    assert conv(fastnn.randn(3, 8, 8)).shape == (5, 6, 6)
    out, idx = F.max_pool2d(fastnn.randn(1, 2, 4, 4), 2, return_indices=True)
    assert out.shape == idx.shape == (1, 2, 2, 2) and idx.dtype == fastnn.int64


def test_default_initialisation_bounds():
    conv = nn.Conv2d(6, 8, 5)
    bound = 1 / np.sqrt(6 * 25)  # kaiming_uniform(a=sqrt(5)) gives 1/sqrt(fan_in)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    t = nn.ConvTranspose2d(6, 8, 3, groups=2)
    assert t.weight.shape == (6, 4, 3, 3)
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / np.sqrt(4 * 9)


def test_matches_pytorch_layers():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    ours = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                         nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1),
                         nn.AvgPool2d(3, 2, 1), nn.Upsample(scale_factor=2), nn.BatchNorm2d(4))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2, ceil_mode=True),
                                 torch.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1),
                                 torch.nn.AvgPool2d(3, 2, 1), torch.nn.Upsample(scale_factor=2), torch.nn.BatchNorm2d(4))
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert set(sd) == set(ours.state_dict())
    ours.load_state_dict(sd)
    xo = fastnn.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(yo.shape).astype(np.float32)
    yo.backward(fastnn.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ours[0].weight.grad.numpy(), theirs[0].weight.grad.numpy(), rtol=1e-3, atol=1e-3)


def test_layer_errors_name_the_problem():
    with pytest.raises(ValueError, match="input has 2 channels, expected 3"):
        nn.Conv2d(3, 4, 3)(fastnn.randn(1, 2, 8, 8))
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="expected 3-D .* or 4-D"):
        F.conv2d(fastnn.randn(8, 8), fastnn.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(fastnn.randn(1, 1, 8, 8), fastnn.randn(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="mode must be one of"):  # non-integer factors work (test_functional_table)
        F.interpolate(fastnn.randn(1, 1, 4, 4), scale_factor=1.5, mode="bogus")
    with pytest.raises(TypeError, match="floating point"):
        F.max_pool2d(fastnn.zeros(1, 1, 4, 4, dtype=fastnn.int64), 2)
