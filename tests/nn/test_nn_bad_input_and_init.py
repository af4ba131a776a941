"""Bad arguments to the new layers and functions raise on both sides (fastnn with a clear
TypeError/ValueError/IndexError), and nn.init's initialisers against PyTorch: the deterministic
ones exactly, the random ones by their defining bounds and moments."""
import math

import numpy as np
import pytest

import fastnn
from fastnn.nn import init as finit

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


def r(lib, *shape):
    return lib.randn(*shape)


BAD = [
    ("conv1d_channels", lambda t: F(t).conv1d(r(t, 2, 3, 8), r(t, 4, 2, 3))),
    ("conv3d_rank", lambda t: F(t).conv3d(r(t, 2, 3, 8), r(t, 4, 3, 2, 2, 2))),
    ("conv3d_kernel_too_big", lambda t: F(t).conv3d(r(t, 1, 1, 2, 2, 2), r(t, 1, 1, 3, 3, 3))),
    ("conv_transpose3d_channels", lambda t: F(t).conv_transpose3d(r(t, 1, 3, 2, 2, 2), r(t, 2, 1, 2, 2, 2))),
    ("max_pool3d_pad", lambda t: F(t).max_pool3d(r(t, 1, 1, 4, 4, 4), 2, padding=2)),
    ("avg_pool3d_rank", lambda t: F(t).avg_pool3d(r(t, 4, 4), 2)),
    ("adaptive_avg_rank", lambda t: F(t).adaptive_avg_pool2d(r(t, 4), 2)),
    ("unfold_rank", lambda t: F(t).unfold(r(t, 4, 4), 2)),
    ("fold_size", lambda t: F(t).fold(r(t, 1, 8, 5), (4, 4), 2)),
    ("pad_reflect_too_wide", lambda t: F(t).pad(r(t, 1, 2, 3), (3, 0), mode="reflect")),
    ("pad_bad_mode", lambda t: F(t).pad(r(t, 1, 2, 3), (1, 1), mode="mirror")),
    ("group_norm_groups", lambda t: F(t).group_norm(r(t, 2, 6, 3), 4)),
    ("interp_both", lambda t: F(t).interpolate(r(t, 1, 1, 4, 4), size=8, scale_factor=2)),
    ("interp_bilinear_3d", lambda t: F(t).interpolate(r(t, 1, 1, 4), size=8, mode="bilinear")),
    ("interp_nearest_align", lambda t: F(t).interpolate(r(t, 1, 1, 4), size=8, align_corners=True)),
    ("pixel_shuffle_channels", lambda t: F(t).pixel_shuffle(r(t, 1, 3, 2, 2), 2)),
    ("pixel_unshuffle_size", lambda t: F(t).pixel_unshuffle(r(t, 1, 1, 3, 4), 2)),
    ("glu_odd", lambda t: F(t).glu(r(t, 3, 5))),
    ("prelu_weight", lambda t: F(t).prelu(r(t, 2, 3, 4), t.ones(2))),
    ("dropout2d_p", lambda t: F(t).dropout2d(r(t, 2, 3, 4, 4), 1.5)),
    ("multi_margin_target", lambda t: F(t).multi_margin_loss(r(t, 3, 4), t.tensor([0, 4, 1]))),
    ("multi_margin_p", lambda t: F(t).multi_margin_loss(r(t, 3, 4), t.tensor([0, 1, 1]), p=3)),
    ("triplet_margin_negative", lambda t: F(t).triplet_margin_loss(r(t, 2, 3), r(t, 2, 3), r(t, 2, 3), margin=-1.0)),
    ("gaussian_nll_var", lambda t: F(t).gaussian_nll_loss(r(t, 3, 2), r(t, 3, 2), -t.ones(3, 2))),
    ("embedding_bag_offsets", lambda t: F(t).embedding_bag(t.tensor([1, 2, 3]), r(t, 5, 2), t.tensor([1, 2]))),
    ("embedding_bag_range", lambda t: F(t).embedding_bag(t.tensor([[1, 7]]), r(t, 5, 2))),
    ("ctc_blank", lambda t: F(t).ctc_loss(r(t, 4, 1, 3).log_softmax(2), t.tensor([[1]]), [4], [1], blank=5)),
    ("max_unpool_indices", lambda t: F(t).max_unpool2d(r(t, 1, 1, 2, 2), t.tensor([[[[0, 1], [2, 99]]]]), 2)),
    ("pack_lengths", lambda t: t.nn.utils.rnn.pack_padded_sequence(r(t, 3, 2, 1), [2, 4])),
    ("GroupNorm_ctor", lambda t: t.nn.GroupNorm(3, 4)),
    ("Conv3d_padding_mode", lambda t: t.nn.Conv3d(1, 1, 3, padding_mode="mirror")),
    ("ConvTranspose_mode", lambda t: t.nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")),
    ("Fractional_no_size", lambda t: t.nn.FractionalMaxPool2d(2)),
    ("AdaptiveLogSoftmax_cutoffs", lambda t: t.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5, 3])),
]


@pytest.mark.parametrize("name,call", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_on_both_sides(name, call):
    with pytest.raises(Exception):
        call(torch)
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError, NotImplementedError)) as err:
        call(fastnn)
    assert str(err.value), f"{name}: the exception should say what is wrong"


# ------------------------------------------------------------------ nn.init

@pytest.mark.parametrize("name,param", [("linear", None), ("conv3d", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert math.isclose(finit.calculate_gain(name, param), torch.nn.init.calculate_gain(name, param))


@pytest.mark.parametrize("name,shape,args", [
    ("constant_", (3, 4), (0.7,)), ("ones_", (2, 3), ()), ("zeros_", (2, 3), ()), ("eye_", (3, 5), ()),
    ("dirac_", (4, 2, 3), ()), ("dirac_", (6, 3, 3, 3), (2,)), ("dirac_", (2, 2, 3, 3, 3), ()),
])
def test_deterministic_initialisers_match_torch(name, shape, args):
    f, t = fastnn.empty(*shape), torch.empty(*shape)
    getattr(finit, name)(f, *args)
    getattr(torch.nn.init, name)(t, *args)
    np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("name,kw,bound", [
    ("uniform_", {"a": -0.3, "b": 0.5}, lambda fi, fo: (-0.3, 0.5)),
    ("xavier_uniform_", {"gain": 2.0}, lambda fi, fo: (-2 * math.sqrt(6 / (fi + fo)), 2 * math.sqrt(6 / (fi + fo)))),
    ("kaiming_uniform_", {"a": 0.1, "mode": "fan_out"},
     lambda fi, fo: (-math.sqrt(2 / 1.01) * math.sqrt(3 / fo), math.sqrt(2 / 1.01) * math.sqrt(3 / fo))),
])
def test_uniform_initialisers_fill_their_bounds(name, kw, bound):
    x = fastnn.empty(400, 50, 3)
    getattr(finit, name)(x, **kw)
    lo, hi = bound(150, 1200)
    v = x.numpy()
    assert v.min() >= lo and v.max() <= hi
    assert v.min() < lo + 0.01 * (hi - lo) and v.max() > hi - 0.01 * (hi - lo)


@pytest.mark.parametrize("name,kw,std", [
    ("normal_", {"mean": 0.5, "std": 2.0}, 2.0), ("xavier_normal_", {}, math.sqrt(2 / (150 + 1200))),
    ("kaiming_normal_", {"nonlinearity": "relu"}, math.sqrt(2) / math.sqrt(150)),
])
def test_normal_initialisers_have_their_std(name, kw, std):
    x = fastnn.empty(400, 50, 3)
    getattr(finit, name)(x, **kw)
    assert abs(x.numpy().std() / std - 1) < 0.02


def test_trunc_normal_moments_and_bounds():
    from scipy.stats import truncnorm
    x = fastnn.empty(200000)
    finit.trunc_normal_(x, mean=1.0, std=2.0, a=-1.0, b=2.0)
    v = x.numpy()
    assert v.min() >= -1.0 and v.max() <= 2.0
    ref = truncnorm((-1.0 - 1.0) / 2.0, (2.0 - 1.0) / 2.0, loc=1.0, scale=2.0)
    assert abs(v.mean() - ref.mean()) < 0.01 and abs(v.std() - ref.std()) < 0.01


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    x = fastnn.empty(*shape)
    finit.orthogonal_(x, gain=1.5)
    m = x.numpy().reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-5)


def test_sparse_zeroes_the_fraction_of_each_column():
    x = fastnn.empty(10, 300)
    finit.sparse_(x, 0.35, std=0.5)
    zeros = (x.numpy() == 0).sum(0)
    assert (zeros == math.ceil(0.35 * 10)).all()
    assert abs(x.numpy()[x.numpy() != 0].std() - 0.5) < 0.03


def test_generator_argument_reproduces_draws_and_old_names_exist():
    a, b = fastnn.empty(5, 5), fastnn.empty(5, 5)
    finit.kaiming_uniform_(a, generator=fastnn.Generator().manual_seed(3))
    finit.kaiming_uniform_(b, generator=fastnn.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    for old in ("uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                "kaiming_normal", "orthogonal", "sparse"):
        assert getattr(finit, old) is getattr(finit, old + "_")
    with pytest.raises(ValueError):
        finit.dirac_(fastnn.empty(3, 3))
    with pytest.raises(ValueError):
        finit.calculate_gain("swish")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kw", [{"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True}])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "soft_margin_loss", "margin_ranking_loss"])
def test_legacy_size_average_and_reduce_decide_the_reduction(name, kw):
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal(6), np.sign(rng.standard_normal(6))
    args = (a, b) if name != "margin_ranking_loss" else (a, b[::-1].copy(), b)
    ours = getattr(fastnn.nn.functional, name)(*(fastnn.tensor(v) for v in args), **kw)
    theirs = getattr(torch.nn.functional, name)(*(torch.tensor(v) for v in args), **kw)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    module = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "soft_margin_loss": "SoftMarginLoss",
              "margin_ranking_loss": "MarginRankingLoss"}[name]
    np.testing.assert_allclose(getattr(fastnn.nn, module)(**kw)(*(fastnn.tensor(v) for v in args)).numpy(),
                               theirs.numpy())


@pytest.mark.parametrize("make", [
    lambda: fastnn.nn.Conv3d(1, 2, 3, device="cuda"), lambda: fastnn.nn.GroupNorm(1, 2, device="cuda"),
    lambda: fastnn.nn.BatchNorm3d(2, device="cuda"), lambda: fastnn.nn.Bilinear(2, 2, 2, device="cuda"),
    lambda: fastnn.nn.EmbeddingBag(3, 2, device="mps"), lambda: fastnn.nn.PReLU(device="cuda")])
def test_layers_refuse_devices_they_cannot_use(make):
    with pytest.raises(ValueError, match="CPU only"):
        make()
    assert fastnn.nn.Conv1d(1, 2, 3, device="cpu").weight.shape == (2, 1, 3)
