"""torch.nn modules against fastnn.nn, one row per module and option set: the PyTorch module's
state_dict (perturbed off its defaults) is copied into fastnn's, then outputs, buffers after the
forward, input gradients and every parameter gradient are compared in float32 and float64."""
import numpy as np
import pytest

from table_harness import ModRow, randn, uniform, ints, signs, const, inputs, run_module

torch = pytest.importorskip("torch")


def mod(name, *args, **kw):
    return lambda t: getattr(t.nn, name)(*args, **kw)


X = inputs(randn(2, 3, 5, scale=3))
IMG = inputs(randn(2, 3, 4, 5))
VOL = inputs(randn(1, 2, 3, 4, 5))

ROWS = [
    # activations
    *[ModRow(n, mod(n, **kw), X) for n, kw in [
        ("SELU", {}), ("CELU", {"alpha": 0.5}), ("Hardsigmoid", {}), ("Hardswish", {}), ("Mish", {}),
        ("Softsign", {}), ("Softshrink", {"lambd": 0.4}), ("Hardshrink", {}), ("Tanhshrink", {}),
        ("Threshold", {"threshold": 0.2, "value": 3.0}), ("LogSigmoid", {}), ("Softmin", {"dim": 1}),
        ("GLU", {"dim": 0}), ("ReLU6", {}), ("ELU", {"alpha": 0.3}), ("Identity", {})]],
    ModRow("PReLU", mod("PReLU"), X), ModRow("PReLU_channels", mod("PReLU", 3, init=0.1), X),
    ModRow("RReLU_eval", mod("RReLU", 0.1, 0.4), X, train=False),
    ModRow("Softmax2d", mod("Softmax2d"), IMG),
    # convolutions
    ModRow("Conv1d", mod("Conv1d", 4, 6, 3, stride=2, padding=1, groups=2), inputs(randn(2, 4, 9))),
    ModRow("Conv1d_reflect", mod("Conv1d", 3, 2, 3, padding=2, dilation=2, padding_mode="reflect"),
           inputs(randn(2, 3, 7))),
    ModRow("Conv1d_same_circular", mod("Conv1d", 3, 2, 4, padding="same", padding_mode="circular"),
           inputs(randn(2, 3, 7))),
    ModRow("Conv2d_replicate", mod("Conv2d", 3, 4, 3, padding=1, padding_mode="replicate"), IMG),
    ModRow("Conv2d_reflect_nobias", mod("Conv2d", 3, 4, (2, 3), padding=(1, 2), bias=False, padding_mode="reflect"),
           IMG),
    ModRow("Conv3d", mod("Conv3d", 2, 4, (2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1)), VOL),
    ModRow("Conv3d_circular", mod("Conv3d", 2, 2, 3, padding=1, padding_mode="circular"), VOL),
    ModRow("ConvTranspose1d", mod("ConvTranspose1d", 4, 2, 3, stride=2, padding=1, output_padding=1),
           inputs(randn(2, 4, 5))),
    ModRow("ConvTranspose1d_output_size", mod("ConvTranspose1d", 4, 2, 3, stride=3), inputs(randn(2, 4, 5)),
           call=lambda m, x: m(x, output_size=[17])),
    ModRow("ConvTranspose3d", mod("ConvTranspose3d", 2, 4, 2, stride=2, groups=2), VOL),
    # pooling
    ModRow("MaxPool1d", mod("MaxPool1d", 3, 2, 1), X), ModRow("MaxPool3d", mod("MaxPool3d", 2, ceil_mode=True), VOL),
    ModRow("AvgPool1d", mod("AvgPool1d", 2), X),
    ModRow("AvgPool3d", mod("AvgPool3d", (1, 2, 2), padding=(0, 1, 1)), VOL),
    ModRow("LPPool1d", mod("LPPool1d", 2, 2), X),
    ModRow("LPPool2d", mod("LPPool2d", 1.5, 2), inputs(uniform(2, 3, 4, 4, low=0.1))),
    ModRow("LPPool3d", mod("LPPool3d", 2, 2), VOL),
    ModRow("AdaptiveAvgPool1d", mod("AdaptiveAvgPool1d", 3), X),
    ModRow("AdaptiveAvgPool2d", mod("AdaptiveAvgPool2d", (3, 2)), IMG),
    ModRow("AdaptiveAvgPool2d_1", mod("AdaptiveAvgPool2d", 1), IMG),
    ModRow("AdaptiveAvgPool3d", mod("AdaptiveAvgPool3d", 2), VOL),
    ModRow("AdaptiveMaxPool1d", mod("AdaptiveMaxPool1d", 2, return_indices=True), X),
    ModRow("AdaptiveMaxPool2d", mod("AdaptiveMaxPool2d", (2, 3)), IMG),
    ModRow("AdaptiveMaxPool3d", mod("AdaptiveMaxPool3d", 2), VOL),
    ModRow("MaxUnpool2d", lambda t: t.nn.Sequential(), inputs(randn(2, 2, 4, 4)),
           call=lambda m, x: _unpool(m, x)),
    # normalisation
    ModRow("GroupNorm", mod("GroupNorm", 2, 4), inputs(randn(2, 4, 3, 2))),
    ModRow("GroupNorm_noaffine", mod("GroupNorm", 3, 3, affine=False), X),
    ModRow("InstanceNorm1d", mod("InstanceNorm1d", 3), X),
    ModRow("InstanceNorm2d_affine_stats", mod("InstanceNorm2d", 3, affine=True, track_running_stats=True), IMG),
    ModRow("InstanceNorm2d_eval_stats", mod("InstanceNorm2d", 3, affine=True, track_running_stats=True), IMG,
           train=False),
    ModRow("InstanceNorm3d_unbatched", mod("InstanceNorm3d", 2, affine=True), inputs(randn(2, 3, 4, 5))),
    ModRow("BatchNorm3d", mod("BatchNorm3d", 2), VOL),
    ModRow("BatchNorm3d_eval", mod("BatchNorm3d", 2), VOL, train=False),
    ModRow("SyncBatchNorm", mod("SyncBatchNorm", 3), IMG), ModRow("SyncBatchNorm_1d", mod("SyncBatchNorm", 3), X),
    ModRow("BatchNorm2d_nobias_cma", mod("BatchNorm2d", 3, momentum=None, bias=False), IMG),
    ModRow("LocalResponseNorm", mod("LocalResponseNorm", 3), IMG), ModRow("CrossMapLRN2d", mod("CrossMapLRN2d", 3), IMG,
                                                                            check_grad=False),
    ModRow("RMSNorm", mod("RMSNorm", [3, 5]), X), ModRow("LayerNorm_nobias", mod("LayerNorm", 5, bias=False), X),
    # layers
    ModRow("Bilinear", mod("Bilinear", 3, 4, 2), inputs(randn(5, 3), randn(5, 4))),
    ModRow("EmbeddingBag", mod("EmbeddingBag", 6, 3, mode="sum"),
           inputs(ints(8, high=6), const(np.array([0, 3, 3, 5]))),
           call=lambda m, i, o: m(i, o)),
    ModRow("EmbeddingBag_max_pad", mod("EmbeddingBag", 6, 3, mode="max", padding_idx=2), inputs(ints(2, 4, high=6))),
    ModRow("Embedding_max_norm_freq", mod("Embedding", 6, 3, max_norm=1.0, scale_grad_by_freq=True),
           inputs(const(np.array([[1, 2, 1], [4, 1, 0]])))),
    ModRow("EmbeddingBag_max_norm", mod("EmbeddingBag", 6, 3, max_norm=0.8),
           inputs(const(np.array([[1, 2, 1], [4, 1, 0]])))),
    ModRow("Unflatten", mod("Unflatten", 1, (3, 1)), X), ModRow("Flatten", mod("Flatten", 0, 1), X),
    ModRow("PixelShuffle", mod("PixelShuffle", 2), inputs(randn(2, 8, 2, 3))),
    ModRow("PixelUnshuffle", mod("PixelUnshuffle", 2), inputs(randn(2, 2, 4, 2))),
    ModRow("ChannelShuffle", mod("ChannelShuffle", 2), inputs(randn(2, 4, 3))),
    ModRow("Unfold", mod("Unfold", 2, padding=1), IMG), ModRow("Fold", mod("Fold", (3, 4), 2), inputs(randn(2, 8, 6))),
    ModRow("CosineSimilarity", mod("CosineSimilarity", dim=0), inputs(randn(4, 3), randn(4, 3))),
    ModRow("PairwiseDistance", mod("PairwiseDistance", p=1.5, keepdim=True), inputs(randn(4, 3), randn(4, 3))),
    # padding
    *[ModRow(f"{kind}{n}d", mod(f"{kind}{n}d", pad), inputs(randn(*([2, 2] + [4] * n))))
      for kind in ("ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad")
      for n, pad in ((1, (2, 1)), (2, (1, 0, 2, 3)), (3, 1))],
    *[ModRow(f"ConstantPad{n}d", mod(f"ConstantPad{n}d", pad, 1.5), inputs(randn(*([2, 2] + [3] * n))))
      for n, pad in ((1, 2), (2, (0, 1, 2, 1)), (3, (1, 0, 0, 1, 1, 2)))],
    # upsampling
    ModRow("Upsample_bilinear", mod("Upsample", scale_factor=2, mode="bilinear"), IMG),
    ModRow("Upsample_trilinear_ac", mod("Upsample", size=(4, 5, 6), mode="trilinear", align_corners=True), VOL),
    ModRow("Upsample_nearest_1d", mod("Upsample", scale_factor=3), X),
    ModRow("UpsamplingNearest2d", mod("UpsamplingNearest2d", scale_factor=2), IMG),
    ModRow("UpsamplingBilinear2d", mod("UpsamplingBilinear2d", size=(5, 7)), IMG),
    # losses
    ModRow("PoissonNLLLoss", mod("PoissonNLLLoss"), inputs(randn(3, 4), uniform(3, 4, high=2)), nograd=[1]),
    ModRow("GaussianNLLLoss", mod("GaussianNLLLoss", full=True),
           inputs(randn(3, 4), randn(3, 4), uniform(3, 4, low=0.3))),
    ModRow("MarginRankingLoss", mod("MarginRankingLoss", margin=0.2), inputs(randn(5), randn(5), signs(5))),
    ModRow("HingeEmbeddingLoss", mod("HingeEmbeddingLoss"), inputs(randn(5), signs(5)), nograd=[1]),
    ModRow("CosineEmbeddingLoss", mod("CosineEmbeddingLoss", reduction="sum"),
           inputs(randn(4, 3), randn(4, 3), signs(4)),
           nograd=[2]),
    ModRow("SoftMarginLoss", mod("SoftMarginLoss"), inputs(randn(5), signs(5)), nograd=[1]),
    ModRow("MultiLabelMarginLoss", mod("MultiLabelMarginLoss"),
           inputs(randn(2, 3), const(np.array([[2, -1, 0], [0, 1, 2]])))),
    ModRow("MultiLabelSoftMarginLoss", mod("MultiLabelSoftMarginLoss", reduction="none"),
           inputs(randn(3, 4), lambda r: r.integers(0, 2, (3, 4)).astype(float)), nograd=[1]),
    ModRow("MultiMarginLoss", mod("MultiMarginLoss", p=2, margin=0.5), inputs(randn(4, 3), ints(4, high=3))),
    ModRow("TripletMarginLoss", mod("TripletMarginLoss", swap=True), inputs(randn(4, 3), randn(4, 3), randn(4, 3))),
    ModRow("TripletMarginWithDistanceLoss", lambda t: t.nn.TripletMarginWithDistanceLoss(
        distance_function=t.nn.CosineSimilarity(), margin=0.5), inputs(randn(4, 3), randn(4, 3), randn(4, 3))),
    ModRow("KLDivLoss_log_target", mod("KLDivLoss", reduction="batchmean", log_target=True),
           inputs(randn(3, 4), randn(3, 4))),
    ModRow("NLLLoss2d", mod("NLLLoss2d"), inputs(randn(2, 3, 2, 2), ints(2, 2, 2, high=3))),
    ModRow("CTCLoss", mod("CTCLoss", blank=2), inputs(randn(5, 2, 4), const(np.array([[1, 3], [0, 0]]))),
           call=lambda m, x, tg: m(x.log_softmax(2), tg, [5, 4], [2, 1])),
    ModRow("AdaptiveLogSoftmaxWithLoss", mod("AdaptiveLogSoftmaxWithLoss", 8, 20, [4, 10, 15], div_value=2.0,
                                             head_bias=True),
           inputs(randn(7, 8), const(np.array([0, 5, 12, 19, 3, 16, 11]))), call=lambda m, x, t: tuple(m(x, t))),
    ModRow("AdaptiveLogSoftmaxWithLoss_log_prob", mod("AdaptiveLogSoftmaxWithLoss", 6, 9, [3, 5]), inputs(randn(4, 6)),
           call=lambda m, x: m.log_prob(x)),
    ModRow("LinearCrossEntropyLoss", mod("LinearCrossEntropyLoss", 4, 5, bias=True, label_smoothing=0.1),
           inputs(randn(6, 4), ints(6, high=5))),
    ModRow("LinearCrossEntropyLoss_kdim", mod("LinearCrossEntropyLoss", 4, 3, out_features=(2,), reduction="sum"),
           inputs(randn(5, 4), ints(5, 2, high=3))),
    ModRow("FractionalMaxPool2d", lambda t: t.nn.FractionalMaxPool2d(2, output_ratio=(0.5, 0.7), return_indices=True,
                                                                     _random_samples=t.tensor(SAMPLES)), IMG),
]

SAMPLES = np.random.default_rng(9).random((2, 3, 2))


def _unpool(seq, x):
    lib = __import__("torch") if type(seq).__module__.startswith("torch") else __import__("fastnn")
    out, idx = lib.nn.MaxPool2d(2, return_indices=True)(x)
    return lib.nn.MaxUnpool2d(2)(out, idx)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("row", ROWS, ids=repr)
def test_module_matches_torch(row, dtype):
    run_module(torch, row, dtype)
