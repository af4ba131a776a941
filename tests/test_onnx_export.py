"""fastnn.onnx.export: every exported model passes onnx.checker and gives fastnn's outputs in onnxruntime."""
import io

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


class WordLM(nn.Module):
    """The shape of PyTorch's word_language_model: embedding, a recurrent stack, a decoder, log-softmax."""

    def __init__(self, kind, ntoken=30, ninp=8, nhid=12, nlayers=2):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, kind)(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)
        self.drop = nn.Dropout(0.5)

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(tokens)), hidden)
        decoded = self.decoder(self.drop(out)).view(-1, self.decoder.out_features)
        return F.log_softmax(decoded, dim=1), hidden


class Ops(nn.Module):
    def forward(self, x):
        a = torch_cat([x[:, :2] * 2.0, x[:, 1:3].exp(), (x - 1).abs().sqrt()], 1)
        b = fastnn.stack([a.mean(1), a.sum(1, keepdim=True).squeeze(1), a.max(1)[0]], 1)
        c = F.gelu(b) + F.silu(b) + F.elu(b) + F.leaky_relu(b, 0.1) + F.softplus(b) + b.sigmoid() * b.tanh()
        return c.clamp(-3, 3).permute(1, 0)[None, ..., 1:].softmax(-1)


def torch_cat(ts, dim):
    return fastnn.cat(ts, dim)


def _lenet():
    return nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3),
                         nn.BatchNorm2d(6), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 3 * 3, 10))


def _autoencoder():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Upsample(scale_factor=2),
                         nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())


def _states(kind, layers, dirs, batch, hidden):
    h = fastnn.randn(layers * dirs, batch, hidden)
    return (h, fastnn.randn(layers * dirs, batch, hidden)) if kind == "LSTM" else h


CASES = {
    "mlp": lambda: (nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.LogSoftmax(1)), (fastnn.randn(5, 4),)),
    "ops": lambda: (Ops(), (fastnn.rand(3, 4) + 0.5,)),
    "lenet": lambda: (_lenet(), (fastnn.randn(2, 1, 16, 16),)),
    "autoencoder": lambda: (_autoencoder(), (fastnn.randn(2, 1, 8, 8),)),
    "layernorm": lambda: (nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 2)), (fastnn.randn(2, 3, 6),)),
    "word_lm_lstm": lambda: (WordLM("LSTM"), (fastnn.tensor(np.random.default_rng(0).integers(0, 30, (7, 2))),
                                              _states("LSTM", 2, 1, 2, 12))),
    "word_lm_gru": lambda: (WordLM("GRU"), (fastnn.tensor(np.random.default_rng(1).integers(0, 30, (7, 2))),
                                            _states("GRU", 2, 1, 2, 12))),
    "bi_lstm_batch_first": lambda: (nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True),
                                    (fastnn.randn(2, 6, 3),)),
    "lstm_batch_first": lambda: (nn.LSTM(3, 5, num_layers=2, batch_first=True), (fastnn.randn(2, 6, 3),)),
    "rnn_relu": lambda: (nn.RNN(3, 4, nonlinearity="relu"), (fastnn.randn(5, 2, 3), fastnn.randn(1, 2, 4))),
    "gru_cell": lambda: (nn.GRUCell(3, 4), (fastnn.randn(2, 3), fastnn.randn(2, 4))),
    "lstm_cell": lambda: (nn.LSTMCell(3, 4), (fastnn.randn(2, 3), (fastnn.randn(2, 4), fastnn.randn(2, 4)))),
    "mha": lambda: (nn.MultiheadAttention(8, 2, batch_first=True), (fastnn.randn(2, 5, 8),) * 3),
    "encoder_layer": lambda: (nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True),
                              (fastnn.randn(2, 5, 8),)),
    "encoder_layer_norm_first_seq_first_gelu": lambda: (nn.TransformerEncoderLayer(8, 2, 16, norm_first=True,
                                                                                   activation="gelu"),
                                                   (fastnn.randn(5, 2, 8),)),
}


def _arrays(obj):
    """The tensors of a (nested) tuple or list, as arrays in order: ONNX's flat inputs and outputs."""
    if isinstance(obj, fastnn.Tensor):
        return [obj.numpy()]
    if isinstance(obj, (tuple, list)):
        return [a for x in obj for a in _arrays(x)]
    return []


@pytest.mark.parametrize("name", list(CASES))
def test_exported_model_runs_in_onnxruntime(name):
    fastnn.manual_seed(0)
    model, args = CASES[name]()
    model.eval()
    with fastnn.no_grad():
        expected = model(*args)
    flat = _arrays(expected)
    buf = io.BytesIO()
    fastnn.onnx.export(model, args, buf)
    session = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    feeds = {i.name: v for i, v in zip(session.get_inputs(), _arrays(args))}
    got = session.run(None, feeds)
    assert len(got) == len(flat)
    for g, e in zip(got, flat):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_dynamic_axes_and_names(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    path = tmp_path / "m.onnx"
    fastnn.onnx.export(model, (fastnn.randn(2, 4),), str(path), input_names=["x"], output_names=["y"],
                       dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)
    proto = onnx.load(str(path))
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.opset_import[0].version == 17
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32)
    np.testing.assert_allclose(session.run(["y"], {"x": x})[0], model(fastnn.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_unsupported_operation_is_named():
    class Graph(nn.Module):
        def forward(self, x):
            return fastnn.nn.functional.cross_entropy(x, fastnn.tensor(np.array([0, 1])))
    with pytest.raises(NotImplementedError, match="CrossEntropy"):
        fastnn.onnx.export(Graph(), (fastnn.randn(2, 3),), io.BytesIO())


def test_bad_arguments():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="opset"):
        fastnn.onnx.export(model, (fastnn.randn(1, 2),), io.BytesIO(), opset_version=9)
    with pytest.raises(TypeError, match="unexpected"):
        fastnn.onnx.export(model, (fastnn.randn(1, 2),), io.BytesIO(), operator_export_type=1)
    with pytest.raises(ValueError, match="dynamic_axes"):
        fastnn.onnx.export(model, (fastnn.randn(1, 2),), io.BytesIO(), dynamic_axes={"nope": [0]})
    assert not fastnn.onnx.is_in_onnx_export()


def test_attention_masks_export():
    """Key padding, a float mask and a causal hint through MultiheadAttention and SDPA."""
    fastnn.manual_seed(1)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()

    class Masked(nn.Module):
        def forward(self, x, pad):
            causal = nn.Transformer.generate_square_subsequent_mask(5)
            out, w = mha(x, x, x, key_padding_mask=pad, attn_mask=causal)
            return out + F.scaled_dot_product_attention(x, x, x, is_causal=True)
    x = fastnn.randn(2, 5, 8)
    pad = fastnn.tensor(np.array([[False] * 5, [False, False, False, True, True]]))
    model = Masked()
    expected = model(x, pad).detach().numpy()
    buf = io.BytesIO()
    fastnn.onnx.export(model, (x, pad), buf)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), (x.numpy(), pad.numpy()))})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
