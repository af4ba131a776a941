"""Summary protocol buffers for each kind of TensorBoard record (scalar, histogram, image, text, hparams)."""
import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from .png import encode_png


def as_numpy(value):
    """A fastnn Tensor, NumPy array or Python number as a NumPy array."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def scalar(tag, value):
    v = as_numpy(value)
    if v.size != 1:
        raise ValueError(f"scalar_value must be a single number, got shape {v.shape}")
    return Summary(value=[Summary.Value(tag=tag, simple_value=float(v.reshape(())))])


def _bucket_edges(values, bins, max_bins):
    if isinstance(bins, str) and bins == "tensorflow":
        # TensorFlow's exponential buckets: ±1e-12 × 1.1^k up to 1e20, and 0
        pos = [1e-12]
        while pos[-1] < 1e20:
            pos.append(pos[-1] * 1.1)
        edges = np.array([-x for x in reversed(pos)] + [0.0] + pos)
        return edges
    if isinstance(bins, str):
        return np.histogram_bin_edges(values, bins=bins)
    return np.histogram_bin_edges(values, bins=bins) if np.ndim(bins) == 0 else np.asarray(bins, float)


def histogram(tag, values, bins="tensorflow", max_bins=None):
    v = as_numpy(values).astype(np.float64).ravel()
    if v.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    edges = _bucket_edges(v, bins, max_bins)
    counts, edges = np.histogram(v, bins=edges)
    if max_bins is not None and len(counts) > max_bins:   # merge neighbours down to max_bins buckets
        step = -(-len(counts) // max_bins)
        counts = np.add.reduceat(counts, np.arange(0, len(counts), step))
        edges = np.concatenate([edges[::step], edges[-1:]])
    nonzero = np.flatnonzero(counts)
    # keep the non-empty span plus one empty bucket before it; each count is paired with its right edge
    first, last = (nonzero[0], nonzero[-1]) if nonzero.size else (0, len(counts) - 1)
    if first > 0:
        counts, limits = counts[first - 1:last + 1], edges[first:last + 2]
    else:
        counts, limits = np.concatenate([[0], counts[:last + 1]]), edges[:last + 2]
    proto = HistogramProto(min=float(v.min()), max=float(v.max()), num=int(v.size), sum=float(v.sum()),
                           sum_squares=float(v @ v), bucket_limit=limits.tolist(), bucket=counts.astype(float).tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def _to_hwc(img, dataformats):
    img = as_numpy(img)
    fmt = dataformats.upper()
    if img.ndim != len(fmt) or len(set(fmt)) != len(fmt):
        raise ValueError(f"dataformats {dataformats!r} does not match an image of shape {img.shape}")
    if "N" in fmt:   # a batch: tile the images in a grid, 8 per row as torchvision's make_grid does
        img = np.moveaxis(img, fmt.index("N"), 0)
        fmt = fmt.replace("N", "")
        imgs = [_to_hwc(i, fmt) for i in img]
        n, (h, w, c) = len(imgs), imgs[0].shape
        cols = min(n, 8)
        rows = -(-n // cols)
        grid = np.zeros((rows * h, cols * w, c), imgs[0].dtype)
        for k, im in enumerate(imgs):
            r, q = divmod(k, cols)
            grid[r * h:(r + 1) * h, q * w:(q + 1) * w] = im
        return grid
    if fmt == "HW":
        img, fmt = img[..., None], "HWC"
    img = np.transpose(img, [fmt.index(a) for a in "HWC"])
    if img.shape[2] not in (1, 3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels, got {img.shape[2]}")
    return img


def image(tag, img, dataformats="CHW"):
    hwc = _to_hwc(img, dataformats)
    if hwc.dtype != np.uint8:   # floats are in [0, 1] (PyTorch's rule)
        hwc = (np.clip(hwc.astype(np.float64), 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w, c = hwc.shape
    return Summary(value=[Summary.Value(tag=tag, image=Summary.Image(height=h, width=w, colorspace=c,
                                                                     encoded_image_string=encode_png(hwc)))])


def text(tag, string):
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    tensor = TensorProto(dtype="DT_STRING", string_val=[string.encode("utf-8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)])


def hparams(hparam_dict, metric_dict, domains=None):
    """The hparams plugin's three records: the experiment (names), the session's values, its end status."""
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
    if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
        raise TypeError("hparam_dict and metric_dict must be dicts")
    domains = domains or {}
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for name, value in hparam_dict.items():
        if value is None:
            continue
        if isinstance(value, bool):
            kind, field, wrap = "DATA_TYPE_BOOL", "bool_value", lambda d: struct_pb2.Value(bool_value=d)
        elif isinstance(value, (int, float)):
            kind, field, wrap = "DATA_TYPE_FLOAT64", "number_value", lambda d: struct_pb2.Value(number_value=d)
        elif isinstance(value, str):
            kind, field, wrap = "DATA_TYPE_STRING", "string_value", lambda d: struct_pb2.Value(string_value=d)
        else:   # PyTorch logs other values by their text
            value = str(value)
            kind, field, wrap = "DATA_TYPE_STRING", "string_value", lambda d: struct_pb2.Value(string_value=str(d))
        setattr(start.hparams[name], field, value)
        discrete = struct_pb2.ListValue(values=[wrap(d) for d in domains[name]]) if name in domains else None
        infos.append(api_pb2.HParamInfo(name=name, type=api_pb2.DataType.Value(kind), domain_discrete=discrete))
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))

    def record(tag, **content):
        data = plugin_data_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **content)
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=metadata.PLUGIN_NAME,
                                                                      content=data.SerializeToString()))
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])
    return (record(metadata.EXPERIMENT_TAG, experiment=experiment),
            record(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            record(metadata.SESSION_END_INFO_TAG, session_end_info=end))
