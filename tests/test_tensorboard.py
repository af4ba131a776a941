"""SummaryWriter's event files, read back by TensorBoard's own reader, against torch.utils.tensorboard's."""
import numpy as np
import pytest

import fastnn

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from fastnn.utils.tensorboard import SummaryWriter  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402


def _log(writer_cls, lib, folder):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(1000)
    img = rng.random((3, 8, 5)).astype(np.float32)
    batch = rng.random((4, 1, 6, 6)).astype(np.float32)
    with writer_cls(str(folder)) as w:
        for step in range(5):
            w.add_scalar("loss/train", lib.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", lib.tensor(values), 3)
        w.add_histogram("weights_auto", values, 4, bins="auto")
        w.add_image("picture", lib.tensor(img), 1)
        w.add_image("hwc", (img.transpose(1, 2, 0) * 255).astype(np.uint8), 2, dataformats="HWC")
        w.add_images("batch", lib.tensor(batch), 1)
        w.add_text("note", "hello *world*", 7)
    acc = EventAccumulator(str(folder), size_guidance={"histograms": 0, "images": 0, "scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_events_read_back_like_pytorchs(tmp_path):
    mine = _log(SummaryWriter, fastnn, tmp_path / "fastnn")
    theirs = _log(TorchWriter, torch, tmp_path / "torch")
    assert mine.Tags()["scalars"] == theirs.Tags()["scalars"]
    assert [(e.step, e.value) for e in mine.Scalars("loss/train")] == \
           [(e.step, pytest.approx(e.value)) for e in theirs.Scalars("loss/train")]
    for tag in ("weights", "weights_auto"):
        (h1,), (h2,) = mine.Histograms(tag), theirs.Histograms(tag)
        assert h1.step == h2.step
        a, b = h1.histogram_value, h2.histogram_value
        assert (a.min, a.max, a.num) == pytest.approx((b.min, b.max, b.num))
        assert a.sum == pytest.approx(b.sum) and a.sum_squares == pytest.approx(b.sum_squares)
        assert sum(a.bucket) == sum(b.bucket) == 1000
        if tag == "weights":   # the TensorFlow buckets are the same edges
            np.testing.assert_allclose(a.bucket_limit, b.bucket_limit, rtol=1e-6)
            np.testing.assert_array_equal(a.bucket, b.bucket)
    for tag in ("picture", "hwc", "batch"):
        (i1,), (i2,) = mine.Images(tag), theirs.Images(tag)
        assert (i1.step, i1.width, i1.height) == (i2.step, i2.width, i2.height)
    (t1,), (t2,) = mine.Tensors("note/text_summary"), theirs.Tensors("note/text_summary")
    assert t1.tensor_proto.string_val == t2.tensor_proto.string_val and t1.step == t2.step == 7


def test_image_pixels_survive_the_png_round_trip(tmp_path):
    import io
    import zlib
    img = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * 10).astype(np.uint8)   # H, W, C (RGBA)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("x", img, 0, dataformats="HWC")
    acc = EventAccumulator(str(tmp_path), size_guidance={"images": 0})
    acc.Reload()
    png = acc.Images("x")[0].encoded_image_string
    # decode the single IDAT chunk of an unfiltered PNG (what the encoder writes)
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(2, 1 + 3 * 4)
    assert (rows[:, 0] == 0).all()
    np.testing.assert_array_equal(rows[:, 1:].reshape(2, 3, 4), img)
    assert io.BytesIO(png).read(8) == b"\x89PNG\r\n\x1a\n"


def test_scalars_and_hparams_make_their_runs(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalars("run", {"a": 1.0, "b": 2.0}, 0)
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True, "layers": [1, 2]}, {"hparam/acc": 0.9}, run_name="h")
    for sub, tag in (("run_a", "run"), ("run_b", "run"), ("h", "hparam/acc")):
        acc = EventAccumulator(str(tmp_path / sub))
        acc.Reload()
        assert tag in acc.Tags()["scalars"]
    acc = EventAccumulator(str(tmp_path / "h"))
    acc.Reload()
    content = acc.PluginTagToContent("hparams")
    assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}
    from tensorboard.plugins.hparams import plugin_data_pb2
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    assert start.session_start_info.hparams["lr"].number_value == 0.1
    assert start.session_start_info.hparams["opt"].string_value == "adam"


def test_bad_input_and_closed_writer(tmp_path):
    w = SummaryWriter(str(tmp_path))
    with pytest.raises(ValueError, match="single number"):
        w.add_scalar("x", np.ones(3))
    with pytest.raises(ValueError, match="dataformats"):
        w.add_image("x", np.ones((3, 4)), dataformats="CHW")
    with pytest.raises(NotImplementedError, match="onnx"):
        w.add_graph(fastnn.nn.Linear(1, 1))
    w.close()
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("x", 1.0)
