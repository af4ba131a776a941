"""torch.nn.functional against fastnn.nn.functional, one row per op and option set: outputs,
gradients of every float input (float32 and float64) and float64 finite-difference gradcheck."""
import numpy as np
import pytest

from table_harness import Row, randn, uniform, ints, signs, const, inputs, run_functional

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


def fn(name, **kw):
    return lambda t, *x: getattr(F(t), name)(*x, **kw)


X = inputs(randn(2, 3, 5))
X_WIDE = inputs(randn(2, 3, 5, scale=4))
ML_TARGET = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])

ROWS = [
    # activations
    Row("selu", fn("selu"), X_WIDE), Row("celu", fn("celu", alpha=0.7), X_WIDE),
    Row("hardsigmoid", fn("hardsigmoid"), X_WIDE), Row("hardswish", fn("hardswish"), X_WIDE),
    Row("mish", fn("mish"), X_WIDE), Row("softsign", fn("softsign"), X_WIDE),
    Row("tanhshrink", fn("tanhshrink"), X), Row("softshrink", fn("softshrink", lambd=0.3), X),
    Row("hardshrink", fn("hardshrink", lambd=0.3), X), Row("threshold", fn("threshold", threshold=0.1, value=-2.0), X),
    Row("logsigmoid", fn("logsigmoid"), inputs(randn(2, 3, 5, scale=8))), Row("glu", fn("glu", dim=1), inputs(randn(2, 4, 3))),
    Row("prelu_channels", fn("prelu"), inputs(randn(2, 3, 4), uniform(3))),
    Row("prelu_shared", fn("prelu"), inputs(randn(2, 3, 4), uniform(1))),
    Row("rrelu_eval", fn("rrelu", lower=0.1, upper=0.3), X), Row("softmin", fn("softmin", dim=1), X),
    Row("relu6", fn("relu6"), inputs(randn(2, 3, 5, scale=5))), Row("elu", fn("elu", alpha=0.5), X),
    Row("silu", fn("silu"), X), Row("hardtanh", fn("hardtanh", min_val=-0.5, max_val=0.8), X),
    # distances
    Row("pairwise_distance", fn("pairwise_distance"), inputs(randn(4, 5), randn(4, 5))),
    Row("pairwise_distance_p1_keepdim", fn("pairwise_distance", p=1.0, keepdim=True), inputs(randn(4, 5), randn(4, 5))),
    Row("pairwise_distance_p3", fn("pairwise_distance", p=3.0), inputs(randn(4, 5), randn(1, 5))),
    Row("cosine_similarity", fn("cosine_similarity"), inputs(randn(4, 5, 2), randn(4, 5, 2))),
    Row("cosine_similarity_dim", fn("cosine_similarity", dim=-1), inputs(randn(4, 5), randn(4, 5))),
    Row("pdist", fn("pdist"), inputs(randn(5, 3))), Row("pdist_p1", fn("pdist", p=1), inputs(randn(4, 3))),
    Row("normalize", fn("normalize", p=2.0, dim=1), inputs(randn(3, 4))),
    # losses
    Row("poisson_nll", fn("poisson_nll_loss"), inputs(randn(3, 4), uniform(3, 4, high=3)), nograd=[1]),
    Row("poisson_nll_full", fn("poisson_nll_loss", log_input=False, full=True, reduction="sum"),
        inputs(uniform(3, 4, low=0.5, high=2), uniform(3, 4, high=4)), nograd=[1]),
    Row("gaussian_nll", fn("gaussian_nll_loss"), inputs(randn(4, 3), randn(4, 3), uniform(4, 3, low=0.2, high=2))),
    Row("gaussian_nll_vec_full", fn("gaussian_nll_loss", full=True, reduction="none"),
        inputs(randn(4, 3), randn(4, 3), uniform(4, low=0.2, high=2))),
    Row("gaussian_nll_last1", fn("gaussian_nll_loss", reduction="sum"),
        inputs(randn(4, 3), randn(4, 3), uniform(4, 1, low=0.2, high=2))),
    Row("margin_ranking", fn("margin_ranking_loss", margin=0.3), inputs(randn(6), randn(6), signs(6))),
    Row("hinge_embedding", fn("hinge_embedding_loss", margin=0.8, reduction="none"), inputs(randn(6), signs(6))),
    Row("soft_margin", fn("soft_margin_loss"), inputs(randn(3, 4), signs(3, 4)), nograd=[1]),
    Row("multilabel_soft_margin", fn("multilabel_soft_margin_loss"),
        inputs(randn(3, 4), lambda r: r.integers(0, 2, (3, 4)).astype(float)), nograd=[1]),
    Row("multilabel_soft_margin_weight", lambda t, x, y, w: F(t).multilabel_soft_margin_loss(x, y, weight=w),
        inputs(randn(3, 4), lambda r: r.integers(0, 2, (3, 4)).astype(float), uniform(4)), nograd=[1]),
    Row("cosine_embedding", fn("cosine_embedding_loss", margin=0.1), inputs(randn(5, 3), randn(5, 3), signs(5))),
    Row("multi_margin", fn("multi_margin_loss"), inputs(randn(4, 5), ints(4, high=5))),
    Row("multi_margin_p2_weight", lambda t, x, y, w: F(t).multi_margin_loss(x, y, p=2, margin=0.7, weight=w),
        inputs(randn(4, 5), ints(4, high=5), uniform(5)), nograd=[2]),
    Row("multilabel_margin", fn("multilabel_margin_loss"), inputs(randn(3, 4), const(ML_TARGET))),
    Row("triplet_margin", fn("triplet_margin_loss", margin=1.5), inputs(randn(4, 3), randn(4, 3), randn(4, 3))),
    Row("triplet_margin_swap_p1", fn("triplet_margin_loss", p=1, swap=True, reduction="none"),
        inputs(randn(4, 3), randn(4, 3), randn(4, 3))),
    Row("triplet_with_distance", fn("triplet_margin_with_distance_loss", margin=1.5),
        inputs(randn(4, 3), randn(4, 3), randn(4, 3))),
    Row("kl_div_batchmean", fn("kl_div", reduction="batchmean"),
        inputs(randn(3, 4), uniform(3, 4, low=0.1)), nograd=[1]),
    Row("linear_cross_entropy", lambda t, x, w, y, b: F(t).linear_cross_entropy(x, w, y, linear_bias=b),
        inputs(randn(6, 4), randn(5, 4), ints(6, high=5), randn(5))),
    # convolutions and windows
    Row("conv1d", fn("conv1d", stride=2, padding=1, dilation=2, groups=2), inputs(randn(2, 4, 9), randn(6, 2, 3), randn(6))),
    Row("conv1d_same", fn("conv1d", padding="same"), inputs(randn(2, 3, 7), randn(2, 3, 4))),
    Row("conv1d_unbatched", fn("conv1d"), inputs(randn(3, 7), randn(2, 3, 3))),
    Row("conv3d", fn("conv3d", stride=(1, 2, 1), padding=1, dilation=(1, 1, 2), groups=2),
        inputs(randn(2, 4, 3, 4, 5), randn(4, 2, 2, 2, 2), randn(4))),
    Row("conv3d_same", fn("conv3d", padding="same"), inputs(randn(1, 2, 3, 3, 4), randn(2, 2, 2, 3, 2))),
    Row("conv_transpose1d", fn("conv_transpose1d", stride=2, padding=1, output_padding=1, groups=2),
        inputs(randn(2, 4, 5), randn(4, 3, 3), randn(6))),
    Row("conv_transpose3d", fn("conv_transpose3d", stride=2, padding=1, output_padding=(1, 0, 1), dilation=(1, 2, 1)),
        inputs(randn(1, 2, 2, 3, 2), randn(2, 3, 2, 2, 3), randn(3))),
    Row("conv_transpose3d_groups", fn("conv_transpose3d", groups=2), inputs(randn(1, 4, 2, 2, 3), randn(4, 1, 2, 1, 2))),
    Row("conv_tbc", fn("conv_tbc", pad=1), inputs(randn(6, 2, 3), randn(3, 3, 4), randn(4))),
    Row("unfold", fn("unfold", kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), inputs(randn(2, 2, 5, 6))),
    Row("fold", fn("fold", output_size=(4, 5), kernel_size=2, padding=1, stride=2), inputs(randn(2, 12, 9))),
    # pooling
    Row("max_pool1d", fn("max_pool1d", kernel_size=3, stride=2, padding=1, ceil_mode=True), inputs(randn(2, 3, 8))),
    Row("max_pool1d_indices", fn("max_pool1d", kernel_size=2, return_indices=True), inputs(randn(2, 3, 7))),
    Row("max_pool3d", fn("max_pool3d", kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1, dilation=(2, 1, 1),
                         ceil_mode=True), inputs(randn(1, 2, 4, 5, 6))),
    Row("max_pool3d_indices", fn("max_pool3d", kernel_size=2, return_indices=True), inputs(randn(2, 4, 4, 5))),
    Row("max_unpool1d", lambda t, x: F(t).max_unpool1d(*F(t).max_pool1d(x, 2, return_indices=True), 2, output_size=[9]),
        inputs(randn(2, 2, 9))),
    Row("max_unpool2d", lambda t, x: F(t).max_unpool2d(*F(t).max_pool2d(x, 2, return_indices=True), 2),
        inputs(randn(2, 2, 4, 6))),
    Row("max_unpool3d", lambda t, x: F(t).max_unpool3d(*F(t).max_pool3d(x, 2, return_indices=True), 2,
                                                       output_size=(5, 4, 5)), inputs(randn(1, 2, 5, 4, 5))),
    # overlapping windows pick one input twice: unpooling writes it once, so finite differences disagree
    # with autograd for PyTorch as well; values and gradients still match PyTorch's
    Row("max_unpool3d_overlap", lambda t, x: F(t).max_unpool3d(*F(t).max_pool3d(x, 2, stride=1, return_indices=True),
                                                               2, 1), inputs(randn(1, 2, 3, 3, 4)), gradcheck=False),
    Row("avg_pool1d", fn("avg_pool1d", kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        inputs(randn(2, 3, 8))),
    Row("avg_pool3d", fn("avg_pool3d", kernel_size=(2, 3, 2), stride=2, padding=1), inputs(randn(1, 2, 4, 5, 6))),
    Row("avg_pool3d_ceil_nopad", fn("avg_pool3d", kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                    count_include_pad=False), inputs(randn(1, 2, 4, 5, 6))),
    Row("avg_pool3d_ceil_pad", fn("avg_pool3d", kernel_size=3, stride=2, padding=1, ceil_mode=True),
        inputs(randn(1, 2, 4, 5, 6))),
    Row("avg_pool3d_divisor", fn("avg_pool3d", kernel_size=2, divisor_override=3), inputs(randn(3, 4, 4, 4))),
    Row("lp_pool1d", fn("lp_pool1d", norm_type=2.0, kernel_size=3, stride=2), inputs(randn(2, 3, 9))),
    Row("lp_pool2d", fn("lp_pool2d", norm_type=3.0, kernel_size=2), inputs(uniform(2, 3, 4, 6, low=0.2))),
    Row("lp_pool3d", fn("lp_pool3d", norm_type=2.0, kernel_size=2, ceil_mode=True), inputs(randn(1, 2, 3, 5, 4))),
    Row("adaptive_avg_pool1d", fn("adaptive_avg_pool1d", output_size=4), inputs(randn(2, 3, 7))),
    Row("adaptive_avg_pool2d", fn("adaptive_avg_pool2d", output_size=(3, None)), inputs(randn(2, 3, 7, 5))),
    Row("adaptive_avg_pool2d_equal_bins", fn("adaptive_avg_pool2d", output_size=(2, 3)), inputs(randn(2, 3, 4, 6))),
    Row("adaptive_avg_pool3d_global", fn("adaptive_avg_pool3d", output_size=1), inputs(randn(2, 3, 2, 3, 2))),
    Row("adaptive_avg_pool2d_up", fn("adaptive_avg_pool2d", output_size=5), inputs(randn(1, 2, 3, 4))),
    Row("adaptive_avg_pool3d", fn("adaptive_avg_pool3d", output_size=(2, 3, 2)), inputs(randn(1, 2, 5, 4, 3))),
    Row("adaptive_max_pool1d", fn("adaptive_max_pool1d", output_size=3, return_indices=True), inputs(randn(2, 3, 7))),
    Row("adaptive_max_pool2d", fn("adaptive_max_pool2d", output_size=(3, 2), return_indices=True),
        inputs(randn(2, 3, 7, 5))),
    Row("adaptive_max_pool3d", fn("adaptive_max_pool3d", output_size=2), inputs(randn(2, 5, 4, 3))),
    # padding
    Row("pad_reflect1d", fn("pad", pad=(2, 1), mode="reflect"), inputs(randn(2, 3, 4))),
    Row("pad_reflect2d", fn("pad", pad=(1, 2, 2, 0), mode="reflect"), inputs(randn(2, 2, 3, 4))),
    Row("pad_replicate3d", fn("pad", pad=(1, 2, 0, 1, 2, 1), mode="replicate"), inputs(randn(1, 2, 2, 3, 3))),
    Row("pad_circular2d", fn("pad", pad=(2, 1, 1, 3), mode="circular"), inputs(randn(2, 2, 3, 4))),
    Row("pad_constant_crop", fn("pad", pad=(-1, 2, 1, -2), value=0.5), inputs(randn(2, 4, 5))),
    # normalisation
    Row("group_norm", lambda t, x, w, b: F(t).group_norm(x, 2, w, b), inputs(randn(3, 4, 5), randn(4), randn(4))),
    Row("group_norm_noaffine", fn("group_norm", num_groups=3), inputs(randn(2, 6, 2, 3))),
    Row("instance_norm", lambda t, x, w, b: F(t).instance_norm(x, weight=w, bias=b), inputs(randn(2, 3, 6), randn(3), randn(3))),
    Row("instance_norm_running", lambda t, x, m, v: F(t).instance_norm(x, m, v, use_input_stats=False),
        inputs(randn(2, 3, 4, 3), randn(3), uniform(3, low=0.5, high=2)), nograd=[1, 2]),
    Row("local_response_norm", fn("local_response_norm", size=3, alpha=0.1, beta=0.6, k=2.0), inputs(randn(2, 5, 4))),
    Row("local_response_norm_4d", fn("local_response_norm", size=2), inputs(randn(2, 4, 3, 3, scale=3))),
    Row("rms_norm", lambda t, x, w: F(t).rms_norm(x, (4,), w, eps=1e-6), inputs(randn(3, 4), randn(4))),
    Row("rms_norm_default_eps", fn("rms_norm", normalized_shape=(2, 4)), inputs(randn(3, 2, 4))),
    # interpolation and sampling
    Row("interp_nearest_size", fn("interpolate", size=(5, 7)), inputs(randn(1, 2, 3, 4))),
    Row("interp_nearest_1d", fn("interpolate", scale_factor=2.5), inputs(randn(2, 2, 4))),
    Row("interp_nearest_exact", fn("interpolate", size=(5, 3), mode="nearest-exact"), inputs(randn(1, 2, 3, 4))),
    Row("interp_linear", fn("interpolate", size=7, mode="linear"), inputs(randn(2, 2, 4))),
    Row("interp_linear_ac", fn("interpolate", size=7, mode="linear", align_corners=True), inputs(randn(2, 2, 4))),
    Row("interp_bilinear_scale", fn("interpolate", scale_factor=1.5, mode="bilinear"), inputs(randn(1, 2, 3, 4))),
    Row("interp_bilinear_down_ac", fn("interpolate", size=(2, 3), mode="bilinear", align_corners=True),
        inputs(randn(1, 2, 5, 6))),
    Row("interp_bicubic", fn("interpolate", size=(5, 6), mode="bicubic"), inputs(randn(1, 2, 3, 4))),
    Row("interp_bicubic_ac", fn("interpolate", scale_factor=2, mode="bicubic", align_corners=True), inputs(randn(1, 1, 3, 3))),
    Row("interp_trilinear", fn("interpolate", size=(3, 4, 5), mode="trilinear"), inputs(randn(1, 2, 2, 3, 3))),
    Row("interp_area", fn("interpolate", size=(2, 3), mode="area"), inputs(randn(1, 2, 5, 7))),
    Row("upsample_bilinear", fn("upsample_bilinear", scale_factor=2), inputs(randn(1, 2, 2, 3))),
    Row("affine_grid", fn("affine_grid", size=(2, 1, 3, 4), align_corners=False), inputs(randn(2, 2, 3))),
    Row("affine_grid_3d", fn("affine_grid", size=(1, 1, 2, 3, 2), align_corners=True), inputs(randn(1, 3, 4))),
    Row("grid_sample", fn("grid_sample", align_corners=False), inputs(randn(2, 2, 3, 4), uniform(2, 3, 2, 2, low=-1.1, high=1.1))),
    Row("grid_sample_border_ac", fn("grid_sample", padding_mode="border", align_corners=True),
        inputs(randn(1, 2, 4, 3), uniform(1, 2, 3, 2, low=-1.2, high=1.2))),
    Row("grid_sample_reflection", fn("grid_sample", padding_mode="reflection", align_corners=False),
        inputs(randn(1, 2, 4, 3), uniform(1, 3, 2, 2, low=-2.5, high=2.5))),
    Row("grid_sample_reflection_ac", fn("grid_sample", padding_mode="reflection", align_corners=True),
        inputs(randn(1, 2, 3, 4), uniform(1, 2, 3, 2, low=-2.5, high=2.5))),
    Row("grid_sample_3d", fn("grid_sample", align_corners=False), inputs(randn(1, 2, 3, 3, 4),
                                                                           uniform(1, 2, 2, 3, 3, low=-1.1, high=1.1))),
    Row("grid_sample_3d_border_nearest", fn("grid_sample", mode="nearest", padding_mode="border", align_corners=True),
        inputs(randn(1, 2, 2, 3, 3), uniform(1, 2, 2, 2, 3, low=-1.3, high=1.3)), nograd=[1]),
    *[Row(f"grid_sample_bicubic_{pm}_{ac}", fn("grid_sample", mode="bicubic", padding_mode=pm, align_corners=ac),
          inputs(randn(1, 2, 4, 5), uniform(1, 3, 2, 2, low=-1.4, high=1.4)))
      for pm in ("zeros", "border", "reflection") for ac in (False, True)],
    Row("grid_sample_nearest", fn("grid_sample", mode="nearest", align_corners=False),
        inputs(randn(1, 2, 4, 3), uniform(1, 2, 3, 2, low=-1, high=1)), nograd=[1]),
    Row("ctc_loss", lambda t, x, tg: F(t).ctc_loss(x.log_softmax(2), tg, [6, 4, 5], [3, 2, 1]),
        inputs(randn(6, 3, 5), const(np.array([[1, 2, 2], [3, 1, 0], [4, 0, 0]])))),
    Row("ctc_loss_concat_sum", lambda t, x, tg: F(t).ctc_loss(x.log_softmax(2), tg, [5, 5], [2, 3], blank=4,
                                                              reduction="sum"),
        inputs(randn(5, 2, 5), const(np.array([1, 1, 0, 2, 3])))),
    Row("ctc_loss_zero_infinity", lambda t, x, tg: F(t).ctc_loss(x.log_softmax(2), tg, [3, 4], [3, 1],
                                                                 reduction="none", zero_infinity=True),
        inputs(randn(4, 2, 3), const(np.array([[1, 1, 1], [2, 0, 0]])))),
    Row("fractional_max_pool2d", lambda t, x, s: F(t).fractional_max_pool2d(x, (2, 3), output_size=(4, 3),
                                                                           return_indices=True, _random_samples=s),
        inputs(randn(2, 3, 7, 8), uniform(2, 3, 2)), nograd=[1]),
    Row("fractional_max_pool3d_ratio", lambda t, x, s: F(t).fractional_max_pool3d(x, 2, output_ratio=0.6,
                                                                                 _random_samples=s),
        inputs(randn(1, 2, 5, 6, 7), uniform(1, 2, 3)), nograd=[1]),
    # empty batches keep their shapes through every path
    *[Row(f"empty_batch_{name}", f, inputs(*makers), gradcheck=False) for name, f, makers in [
        ("conv3d", fn("conv3d"), (randn(0, 2, 3, 3, 3), randn(3, 2, 2, 2, 2))),
        ("conv_transpose3d", fn("conv_transpose3d", stride=2), (randn(0, 2, 2, 2, 2), randn(2, 3, 2, 2, 2))),
        ("max_pool3d", fn("max_pool3d", kernel_size=2), (randn(0, 2, 4, 4, 4),)),
        ("adaptive_max_pool2d", fn("adaptive_max_pool2d", output_size=2), (randn(0, 2, 5, 5),)),
        ("group_norm", lambda t, x: F(t).group_norm(x, 2), (randn(0, 4, 3),)),
        ("unfold", fn("unfold", kernel_size=2), (randn(0, 2, 4, 4),)),
        ("interp_bicubic", fn("interpolate", scale_factor=2, mode="bicubic"), (randn(0, 2, 3, 3),)),
        ("pad_circular", fn("pad", pad=(1, 1), mode="circular"), (randn(0, 2, 3),))]],
    # rearrangements, embeddings
    Row("pixel_shuffle", fn("pixel_shuffle", upscale_factor=2), inputs(randn(2, 8, 2, 3))),
    Row("pixel_unshuffle", fn("pixel_unshuffle", downscale_factor=2), inputs(randn(2, 4, 3, 4, 2))),
    Row("channel_shuffle", fn("channel_shuffle", groups=3), inputs(randn(2, 6, 2, 2))),
    Row("embedding_bag_mean_2d", fn("embedding_bag"), inputs(ints(3, 4, high=6), randn(6, 3))),
    Row("embedding_bag_sum_offsets", lambda t, i, o, w: F(t).embedding_bag(i, w, o, mode="sum"),
        inputs(ints(7, high=5), const(np.array([0, 2, 2, 5])), randn(5, 3))),
    Row("embedding_bag_max", lambda t, i, o, w: F(t).embedding_bag(i, w, o, mode="max"),
        inputs(const(np.array([0, 3, 1, 4, 2, 4])), const(np.array([0, 2, 5])), randn(5, 3))),
    Row("embedding_bag_weights_pad", lambda t, i, w, p: F(t).embedding_bag(i, w, mode="sum", per_sample_weights=p,
                                                                           padding_idx=1),
        inputs(ints(2, 4, high=4), randn(4, 3), randn(2, 4))),
    Row("embedding_bag_last_offset", lambda t, i, o, w: F(t).embedding_bag(i, w, o, include_last_offset=True),
        inputs(ints(6, high=5), const(np.array([0, 2, 6])), randn(5, 3))),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("row", ROWS, ids=repr)
def test_functional_matches_torch(row, dtype):
    run_functional(torch, row, dtype)
