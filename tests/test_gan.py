"""GAN models: shapes, the alternating step, training on the 8x8 digits, the judge, bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import nn, optim
from fastnn.models import GAN, DigitJudge, train_gan
from fastnn.models.gan import gan_step
from fastnn.data import load_digits


def digits():
    X, y, _ = load_digits()
    return (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32), y


@pytest.mark.parametrize("kind, shape", [("mlp", (1, 28, 28)), ("mlp", (1, 8, 8)), ("dcgan", (1, 28, 28)),
                                         ("dcgan", (1, 8, 8))])
def test_shapes_and_ranges(kind, shape):
    fastnn.manual_seed(0)
    gan = GAN(shape, kind=kind)
    fake = gan.generator(gan.noise(5))
    assert fake.shape == (5, *shape)
    assert np.all(np.abs(fake.detach().numpy()) <= 1.0)
    p = gan.discriminator(fake).detach().numpy()
    assert p.shape == (5, 1) and np.all((p > 0) & (p < 1))
    samples = gan.sample(7, batch=3)
    assert samples.shape == (7, *shape) and samples.min() >= 0.0 and samples.max() <= 1.0


def test_classic_mlp_sizes():
    gan = GAN((1, 28, 28))
    g = [m.weight.shape for m in gan.generator.modules() if isinstance(m, nn.Linear)]
    d = [m.weight.shape for m in gan.discriminator.modules() if isinstance(m, nn.Linear)]
    assert g == [(256, 100), (512, 256), (1024, 512), (784, 1024)]
    assert d == [(1024, 784), (512, 1024), (256, 512), (1, 256)]
    assert sum(isinstance(m, nn.Dropout) and m.p == 0.3 for m in gan.discriminator.modules()) == 3


def test_step_updates_discriminator_on_detached_fakes_and_generator_through_discriminator():
    fastnn.manual_seed(0)
    gan = GAN((1, 8, 8))
    opt_d = optim.Adam(gan.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = optim.Adam(gan.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g_before = [p.detach().numpy().copy() for p in gan.generator.parameters()]
    d_before = [p.detach().numpy().copy() for p in gan.discriminator.parameters()]
    real = fastnn.tensor(digits()[0][:16] * 2 - 1)
    loss_d, loss_g = gan_step(gan, real, opt_d, opt_g, nn.BCELoss())
    assert np.isfinite(loss_d) and np.isfinite(loss_g)
    assert all(not np.array_equal(b, p.detach().numpy()) for b, p in zip(g_before, gan.generator.parameters()))
    assert all(not np.array_equal(b, p.detach().numpy()) for b, p in zip(d_before, gan.discriminator.parameters()))


def test_losses_match_binary_cross_entropy_by_hand():
    fastnn.manual_seed(1)
    gan = GAN((1, 8, 8))
    gan.eval()  # no dropout, so the losses can be recomputed
    real = fastnn.tensor(digits()[0][:8] * 2 - 1)
    fastnn.manual_seed(2)
    fake = gan.generator(gan.noise(8)).detach().numpy()
    p_real = gan.discriminator(real).detach().numpy()
    p_fake = gan.discriminator(fastnn.tensor(fake)).detach().numpy()
    expected_d = -np.log(p_real).mean() - np.log(1 - p_fake).mean()
    opt_d = optim.SGD(gan.discriminator.parameters(), lr=0.0)  # lr 0: the step does not change the nets
    opt_g = optim.SGD(gan.generator.parameters(), lr=0.0)
    fastnn.manual_seed(2)
    loss_d, loss_g = gan_step(gan, real, opt_d, opt_g, nn.BCELoss())
    assert loss_d == pytest.approx(expected_d, rel=1e-4)
    assert loss_g == pytest.approx(-np.log(p_fake).mean(), rel=1e-4)


def test_training_on_digits_moves_samples_towards_the_data():
    fastnn.manual_seed(0)
    x, _ = digits()
    gan = GAN((1, 8, 8))
    untrained = gan.sample(500)
    history = train_gan(gan, x[:640], epochs=3)
    assert len(history) == 3 and all(np.isfinite(history[-1]))
    trained = gan.sample(500)
    gap = lambda s: abs(s.mean() - x.mean()) + abs(s.std() - x.std())  # distance in pixel statistics
    assert gap(trained) < 0.5 * gap(untrained)


def test_judge_learns_real_digits():
    fastnn.manual_seed(0)
    x, y = digits()
    judge = DigitJudge(input_size=8)
    untrained = judge.accuracy(x[800:], y[800:])
    judge.fit(x[:800], y[:800], epochs=2, batch_size=16)
    assert judge.accuracy(x[800:], y[800:]) > max(0.5, untrained + 0.3)


def test_judge_confidence_and_classes_by_hand(monkeypatch):
    judge = DigitJudge(input_size=8)
    p = np.full((4, 10), 0.02)
    p[[0, 1, 2, 3], [3, 3, 7, 1]] = [0.82, 0.5, 0.9, 0.6]
    monkeypatch.setattr(judge, "probabilities", lambda images: p)
    verdict = judge.judge(np.zeros((4, 1, 8, 8), np.float32))
    assert verdict["confidence"] == pytest.approx((0.82 + 0.5 + 0.9 + 0.6) / 4)
    assert verdict["classes"] == 3 and verdict["counts"][3] == 2 and sum(verdict["counts"]) == 4


def test_dcgan_trains_on_the_reference_backend():
    from fastnn.kernels.backend import set_backend
    fastnn.manual_seed(0)
    x, _ = digits()
    set_backend("reference")
    try:
        history = train_gan(GAN((1, 8, 8), kind="dcgan"), x[:128], epochs=1)
    finally:
        set_backend("compiled")
    assert all(np.isfinite(history[0]))


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="kind"):
        GAN(kind="vae")
    with pytest.raises(ValueError, match="divisible by 4"):
        GAN((1, 10, 10), kind="dcgan")
    with pytest.raises(ValueError, match="images"):
        train_gan(GAN((1, 8, 8)), np.zeros((10, 1, 28, 28), np.float32), epochs=1)


def test_zoo_gan_quick_on_digits(tmp_path):
    from fastnn.zoo.gan import train
    pytest.importorskip("matplotlib")
    result = train(quick=True, plot_dir=str(tmp_path))
    assert result["model"] == "GAN (mlp)" and 0.0 < result["value"] <= 1.0 and 0 <= result["classes"] <= 10
    assert result["target"]["classes"] == 8 and result["target"]["value"] == 0.8
    for name in ("gan_mlp_epoch001.png", "gan_mlp_loss.png", "gan_mlp_samples.png"):
        assert (tmp_path / name).exists()


@pytest.mark.slow
def test_gan_on_mnist_meets_the_judge_targets():
    from conftest import shared_data
    from fastnn.zoo.gan import train
    result = train(data_dir=str(shared_data("mnist")), full=True)
    assert result["value"] >= 0.8 and result["classes"] >= 9


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_digits_gan_meets_its_target_on_every_seed(seed):
    from fastnn.zoo import meets
    from fastnn.zoo.gan import train
    result = train(seed=seed)
    assert result["value"] >= 0.8 and result["classes"] >= 8 and meets(result)


def test_minibatch_stddev_feature_against_numpy_and_gradcheck():
    from fastnn.models.gan import MinibatchStdDev
    from fastnn.autograd import gradcheck
    rng = np.random.default_rng(0)
    for shape in [(6, 5), (4, 3, 2, 2)]:
        x = rng.standard_normal(shape).astype(np.float32)
        out = MinibatchStdDev()(fastnn.tensor(x)).numpy()
        spread = np.sqrt(x.var(0) + 1e-8).mean()  # population std over the batch, averaged over features
        assert out.shape == (shape[0], shape[1] + 1, *shape[2:])
        np.testing.assert_allclose(out[:, :shape[1]], x)
        np.testing.assert_allclose(out[:, shape[1]:], np.full_like(out[:, shape[1]:], spread), rtol=1e-5)
    x64 = fastnn.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    assert gradcheck(lambda t: MinibatchStdDev()(t), (x64,))


def test_label_smoothing_and_flipped_labels_by_hand():
    fastnn.manual_seed(1)
    gan = GAN((1, 8, 8), minibatch_std=True)
    gan.eval()
    real = fastnn.tensor(digits()[0][:8] * 2 - 1)
    fastnn.manual_seed(3)
    swap = (fastnn.rand(8, 1).numpy() < 0.4).astype(np.float64)  # gan_step draws the swaps, then the noise
    fake = gan.generator(gan.noise(8)).detach()
    p_real, p_fake = gan.discriminator(real).detach().numpy(), gan.discriminator(fake).detach().numpy()
    t_real, t_fake = 0.9 * (1 - swap), 0.9 * swap
    bce = lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    opt_d, opt_g = optim.SGD(gan.discriminator.parameters(), lr=0.0), optim.SGD(gan.generator.parameters(), lr=0.0)
    fastnn.manual_seed(3)
    loss_d, loss_g = gan_step(gan, real, opt_d, opt_g, nn.BCELoss(), real_target=0.9, flip=0.4)
    assert swap.any() and not swap.all()
    assert loss_d == pytest.approx(bce(p_real, t_real) + bce(p_fake, t_fake), rel=1e-4)
    assert loss_g == pytest.approx(-np.log(p_fake).mean(), rel=1e-4)  # the generator still aims at 1


def test_anti_collapse_pieces_are_wired_and_the_ema_generator_samples():
    fastnn.manual_seed(0)
    x, _ = digits()
    gan = GAN((1, 8, 8), g_hidden=(32,), d_hidden=(32,), minibatch_std=True)
    assert any(isinstance(m, nn.Module) and type(m).__name__ == "MinibatchStdDev" for m in gan.discriminator.modules())
    history = train_gan(gan, x[:256], epochs=2, lr_d=4e-4, lr_g=1e-4, real_target=0.9, flip=0.05, ema_decay=0.9)
    assert all(np.isfinite(history[-1]))
    assert gan.ema.n_averaged.item() == 2 * 256 // 64  # one update per generator step
    ema = [p.detach().numpy() for p in gan.ema.module.parameters()]
    raw = [p.detach().numpy() for p in gan.generator.parameters()]
    assert all(not np.allclose(a, b) for a, b in zip(ema, raw))
    z = gan.noise(6)
    got = gan.sample(6, noise=z)
    with fastnn.no_grad():
        np.testing.assert_allclose(got, (gan.ema.module(z).numpy() + 1) / 2, rtol=1e-6)
        assert not np.allclose(got, (gan.generator(z).numpy() + 1) / 2)
    assert gan.sampler() is gan.ema.module


def test_ema_follows_the_decay_recursion():
    fastnn.manual_seed(0)
    x, _ = digits()
    gan = GAN((1, 8, 8), g_hidden=(16,), d_hidden=(16,))
    seen = []
    from fastnn.optim.swa_utils import AveragedModel
    update = AveragedModel.update_parameters

    def recording(self, model):  # record the generator's weights each time the EMA takes them
        seen.append([p.detach().numpy().copy() for p in model.parameters()])
        update(self, model)
    AveragedModel.update_parameters = recording
    try:
        train_gan(gan, x[:192], epochs=1, ema_decay=0.8)
    finally:
        AveragedModel.update_parameters = update
    expected = seen[0]
    for weights in seen[1:]:
        expected = [0.8 * e + 0.2 * w for e, w in zip(expected, weights)]
    for e, p in zip(expected, gan.ema.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-5, atol=1e-6)


def test_spectral_norm_option_uses_the_library_or_says_it_is_missing():
    from fastnn.nn import utils
    if hasattr(utils, "spectral_norm"):
        gan = GAN((1, 8, 8), spectral_norm=True)
        assert any(hasattr(m, "weight_orig") or hasattr(m, "parametrizations") for m in gan.discriminator.modules())
    else:
        with pytest.raises(RuntimeError, match="spectral_norm"):
            GAN((1, 8, 8), spectral_norm=True)


def test_anti_collapse_bad_input_names_the_argument():
    x = digits()[0][:64]
    for kwargs, name in [(dict(real_target=0.0), "real_target"), (dict(flip=0.5), "flip"),
                         (dict(ema_decay=1.0), "ema_decay")]:
        with pytest.raises(ValueError, match=name):
            train_gan(GAN((1, 8, 8)), x, epochs=1, **kwargs)
    with pytest.raises(ValueError, match="minibatch_std"):
        GAN((1, 8, 8), kind="dcgan", minibatch_std=True)
    with pytest.raises(ValueError, match="min_share"):
        DigitJudge(8).judge(x, min_share=1.0)


def test_judge_counts_a_class_only_with_its_minimum_share(monkeypatch):
    judge = DigitJudge(input_size=8)
    p = np.full((100, 10), 0.01)
    p[:97, 3] = 0.91
    p[97:, 5] = 0.91
    monkeypatch.setattr(judge, "probabilities", lambda images: p)
    assert judge.judge(np.zeros((100, 1, 8, 8), np.float32))["classes"] == 2
    assert judge.judge(np.zeros((100, 1, 8, 8), np.float32), min_share=0.05)["classes"] == 1


def test_zoo_recipes_carry_the_anti_collapse_measures():
    from fastnn.zoo.gan import recipe
    for mnist in (False, True):
        model, training = recipe(mnist, "mlp")
        assert model["minibatch_std"] and training["real_target"] < 1.0 and 0.9 <= training["ema_decay"] < 1.0
    model, training = recipe(False, "mlp")
    assert training["lr_d"] > training["lr_g"] and max(model["g_hidden"]) < 1024  # TTUR and small nets on 8x8
    assert recipe(False, "dcgan") == ({}, {})


def test_short_runs_train_on_the_digits_even_when_mnist_is_given(tmp_path, monkeypatch):
    # one MNIST epoch collapsed (2/10 classes, confidence 0.43 in a default zoo run): only --full uses MNIST
    import fastnn.zoo.gan as zoo_gan
    seen = []

    def fake_load_images(data_dir, quick, seed):
        seen.append(data_dir)
        raise RuntimeError("stop after loading")
    monkeypatch.setattr(zoo_gan, "load_images", fake_load_images)
    for full in (False, True):
        with pytest.raises(RuntimeError, match="stop after loading"):
            zoo_gan.train(data_dir=str(tmp_path), full=full)
    assert seen == [None, str(tmp_path)]
