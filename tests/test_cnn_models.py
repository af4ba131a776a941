"""LeNet and the convolutional autoencoder train on real digits (fast runs; long runs are slow-marked)."""
import numpy as np
import pytest

import fastnn
from fastnn.models import LeNet, ConvAutoencoder
from fastnn.zoo import lenet as zoo_lenet, autoencoder as zoo_ae
from conftest import shared_data


def test_lenet_shapes_and_parameters():
    m = LeNet()
    out = m(fastnn.randn(2, 1, 28, 28))
    assert out.shape == (2, 10)
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(1), 1, rtol=1e-5)  # log-probabilities
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {"conv1.weight": (20, 1, 5, 5), "conv1.bias": (20,), "conv2.weight": (50, 20, 5, 5),
                      "conv2.bias": (50,), "fc1.weight": (500, 800), "fc1.bias": (500,),
                      "fc2.weight": (10, 500), "fc2.bias": (10,)}
    assert LeNet(input_size=8)(fastnn.randn(3, 1, 8, 8)).shape == (3, 10)


def test_autoencoder_shapes():
    ae = ConvAutoencoder()
    y = ae(fastnn.rand(2, 1, 28, 28))
    assert y.shape == (2, 1, 28, 28)
    assert 0 <= y.detach().numpy().min() and y.detach().numpy().max() <= 1
    with pytest.raises(ValueError, match="divisible by 4"):
        ae(fastnn.rand(1, 1, 10, 10))


def test_lenet_on_bundled_digits_reaches_97_percent():
    result = zoo_lenet.train(seed=0)
    assert result["value"] >= 0.97, result


def test_autoencoder_on_digits_beats_the_mean_image():
    from fastnn.zoo.images import load_images
    xtr, _, xte, _, _ = load_images(None, seed=0)
    t = np.clip(xte, 1e-7, 1 - 1e-7)
    floor = np.mean(-(xte * np.log(t) + (1 - xte) * np.log(1 - t)))        # BCE of a perfect reconstruction
    m = np.clip(xtr.mean(0), 1e-7, 1 - 1e-7)
    mean_image = np.mean(-(xte * np.log(m) + (1 - xte) * np.log(1 - m)))   # BCE of always drawing the mean digit
    result = zoo_ae.train(seed=0, epochs=15)
    assert result["value"] < mean_image - 0.4 * (mean_image - floor), (result, floor, mean_image)


@pytest.mark.slow
def test_lenet_on_mnist_reaches_99_percent():
    shared_data("mnist")
    result = zoo_lenet.train(data_dir=str(shared_data()))
    assert result["value"] >= 0.99, result


@pytest.mark.slow
def test_autoencoder_on_mnist_beats_pca32():
    shared_data("mnist")
    result = zoo_ae.train(data_dir=str(shared_data()), epochs=5)
    assert result["value"] < 0.118, result
