"""Whole models through fastnn.save/fastnn.load, as PyTorch's word_language_model example saves them.

PyTorch >= 2.6: torch.save(model, f), then torch.load(f) only inside safe_globals([...the classes...]).
The file is torch.save's zip layout: PyTorch itself reads fastnn's file, and fastnn reads PyTorch's.
"""
import importlib
import io
import math
import sys
import types
import zipfile

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
import fastnn.serialization as ser

torch = pytest.importorskip("torch")


class RNNModel(nn.Module):
    """word_language_model's RNNModel: encoder, recurrent module, decoder (optionally tied)."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        h = fastnn.zeros(self.nlayers, bsz, self.nhid)
        return (h, fastnn.zeros(self.nlayers, bsz, self.nhid)) if self.rnn_type == "LSTM" else h


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = np.arange(max_len, dtype=np.float32)[:, None]
        div = np.exp(np.arange(0, d_model, 2, dtype=np.float32) * (-math.log(10000.0) / d_model))
        pe = np.zeros((max_len, 1, d_model), np.float32)
        pe[:, 0, 0::2], pe[:, 0, 1::2] = np.sin(position * div), np.cos(position * div)
        self.register_buffer("pe", fastnn.tensor(pe))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0)])


class TransformerModel(nn.Module):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout), nlayers)
        self.decoder = nn.Linear(ninp, ntoken)
        self.ninp = ninp

    def forward(self, src):
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        return F.log_softmax(self.decoder(self.encoder(src)), dim=-1)


RNN_GLOBALS = [RNNModel, nn.Dropout, nn.Linear, nn.LSTM, nn.Embedding]
TRANSFORMER_GLOBALS = [TransformerModel, PositionalEncoding, F.relu, nn.MultiheadAttention, nn.ModuleList,
                       nn.Dropout, nn.Linear, nn.LayerNorm, nn.Embedding, nn.TransformerEncoder,
                       nn.TransformerEncoderLayer]


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert type(sa[k]) is type(sb[k]) and sa[k].dtype == sb[k].dtype, k
        np.testing.assert_array_equal(sa[k].detach().numpy(), sb[k].detach().numpy(), err_msg=k)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and type(pa) is type(pb) is nn.Parameter and pa.requires_grad == pb.requires_grad


def _tokens(seed, shape, ntoken):
    return fastnn.tensor(np.random.default_rng(seed).integers(0, ntoken, shape))


def test_sequential_through_a_file_object_and_a_path(tmp_path):
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
    buf = io.BytesIO()
    fastnn.save(model, buf)
    fastnn.save(model, tmp_path / "seq.pt")
    assert zipfile.is_zipfile(tmp_path / "seq.pt") and buf.getvalue() == (tmp_path / "seq.pt").read_bytes()
    for source in (lambda: io.BytesIO(buf.getvalue()), lambda: tmp_path / "seq.pt", lambda: str(tmp_path / "seq.pt")):
        with pytest.raises(ser.UnsafeCheckpointError, match=r"fastnn\.nn\.container\.Sequential.*safe_globals"):
            fastnn.load(source())
        with ser.safe_globals([nn.Sequential, nn.Linear, nn.ReLU, nn.Dropout]):
            back = fastnn.load(source())
        assert type(back) is nn.Sequential and [type(m) for m in back] == [type(m) for m in model]
        _same_state(model, back)
        x = fastnn.randn(4, 5)
        for m in (model, back):
            m.eval()
        np.testing.assert_array_equal(model(x).detach().numpy(), back(x).detach().numpy())
        model.train()
    assert not list(tmp_path.glob("*tmp"))  # saved atomically: no temporary left


@pytest.mark.parametrize("rnn_type, tied", [("LSTM", False), ("LSTM", True), ("GRU", False)])
def test_word_language_model_rnn(tmp_path, rnn_type, tied):
    fastnn.manual_seed(1)
    model = RNNModel(rnn_type, 30, 16, 16, 2, dropout=0.2, tie_weights=tied)
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:  # as the example saves it
        fastnn.save(model, f)
    allowed = [nn.GRU if c is nn.LSTM and rnn_type == "GRU" else c for c in RNN_GLOBALS]
    for missing in allowed:  # each class the file needs is named when it is not admitted
        with ser.safe_globals([c for c in allowed if c is not missing]), open(path, "rb") as f:
            with pytest.raises(ser.UnsafeCheckpointError, match=f"{missing.__module__}.{missing.__qualname__}"):
                fastnn.load(f)
    with ser.safe_globals(allowed), open(path, "rb") as f:
        back = fastnn.load(f)
    back.rnn.flatten_parameters()  # the example calls it after loading
    assert type(back) is RNNModel and back.training and back.rnn_type == rnn_type
    assert (back.decoder.weight is back.encoder.weight) == tied
    _same_state(model, back)
    for m in (model, back):
        m.eval()
    data = _tokens(2, (7, 3), 30)
    (out_a, h_a), (out_b, h_b) = model(data, model.init_hidden(3)), back(data, back.init_hidden(3))
    np.testing.assert_array_equal(out_a.detach().numpy(), out_b.detach().numpy())
    for a, b in zip(h_a if rnn_type == "LSTM" else [h_a], h_b if rnn_type == "LSTM" else [h_b]):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_word_language_model_transformer():
    fastnn.manual_seed(3)
    model = TransformerModel(25, 16, 2, 32, 2, dropout=0.1)
    buf = io.BytesIO()
    fastnn.save(model, buf)
    buf.seek(0)
    with pytest.raises(ser.UnsafeCheckpointError, match="TransformerModel"):
        fastnn.load(buf)
    with ser.safe_globals([g for g in TRANSFORMER_GLOBALS if g is not F.relu]):  # the activation is a global
        buf.seek(0)
        with pytest.raises(ser.UnsafeCheckpointError, match=r"fastnn\.nn\.functional\.relu"):
            fastnn.load(buf)
    with ser.safe_globals(TRANSFORMER_GLOBALS):
        buf.seek(0)
        back = fastnn.load(buf)
    _same_state(model, back)
    assert back.encoder.layers[0].activation is F.relu
    np.testing.assert_array_equal(back.pos_encoder.pe.numpy(), model.pos_encoder.pe.numpy())
    for m in (model, back):
        m.eval()
    src = _tokens(4, (9, 2), 25)
    np.testing.assert_array_equal(model(src).detach().numpy(), back(src).detach().numpy())


def test_containers_holding_a_model_and_shared_memory(tmp_path):
    fastnn.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 6))
    row = model[0].weight[1]  # a view of the weight: one storage in the file, still shared after loading
    ckpt = {"model": model, "epoch": 3, "row": row, "names": ("a", "b"), "dtype": fastnn.float64,
            "device": fastnn.device("cpu")}
    fastnn.save(ckpt, tmp_path / "ckpt.pt")
    with zipfile.ZipFile(tmp_path / "ckpt.pt") as z:
        assert sorted(n for n in z.namelist() if "/data/" in n) == ["archive/data/0", "archive/data/1"]
    with ser.safe_globals([nn.Sequential, nn.Linear]):
        back = fastnn.load(tmp_path / "ckpt.pt")
        mapped = fastnn.load(tmp_path / "ckpt.pt", mmap=True)
    assert back["epoch"] == 3 and back["names"] == ("a", "b") and back["dtype"] == np.float64
    assert back["device"] == fastnn.device("cpu")
    assert np.shares_memory(back["row"]._data, back["model"][0].weight._data)
    np.testing.assert_array_equal(back["row"].detach().numpy(), model[0].weight.detach().numpy()[1])
    weight = mapped["model"][0].weight._data
    assert weight.ctypes.data % 64 == 0  # records are 64-byte aligned, as PyTorch aligns them
    np.testing.assert_array_equal(weight, model[0].weight.detach().numpy())


def test_state_dicts_still_go_to_safetensors(tmp_path):
    model = nn.Linear(3, 2)
    fastnn.save(model.state_dict(), tmp_path / "sd")
    fastnn.save({"model": model.state_dict(), "step": 2}, tmp_path / "ckpt")
    for name in ("sd", "ckpt"):
        assert not zipfile.is_zipfile(tmp_path / name)
        assert int.from_bytes((tmp_path / name).read_bytes()[:8], "little") < 10_000  # a safetensors header


def test_objects_that_cannot_be_pickled_are_named(tmp_path):
    model = nn.Linear(2, 2)
    model.hook = lambda x: x
    with pytest.raises(TypeError, match="cannot store a Linear"):
        fastnn.save(model, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_pytorch_reads_fastnn_files():
    fastnn.manual_seed(6)
    model = RNNModel("LSTM", 20, 8, 8, 1, tie_weights=True)
    buf = io.BytesIO()
    fastnn.save(model, buf)
    buf.seek(0)
    with torch.serialization.safe_globals(RNN_GLOBALS):  # torch rebuilds fastnn's classes around torch tensors
        got = torch.load(buf)
    theirs = got.__dict__["_modules"]
    assert theirs["decoder"]._parameters["weight"] is theirs["encoder"]._parameters["weight"]
    for name, p in model.named_parameters():
        owner, attr = name.rsplit(".", 1)
        t = theirs[owner]._parameters[attr]
        assert isinstance(t, torch.nn.Parameter) and t.requires_grad
        np.testing.assert_array_equal(t.detach().numpy(), p.detach().numpy())


def test_pytorch_whole_models_load_into_fastnn_classes(monkeypatch):
    # torch names its classes torch.nn.modules.<file>.<Class>; fastnn.nn.modules re-exports the same classes
    for sub, cls in (("linear", nn.Linear), ("rnn", nn.LSTM), ("sparse", nn.Embedding), ("dropout", nn.Dropout),
                     ("container", nn.Sequential)):
        name = f"fastnn.nn.modules.{sub}"
        try:
            importlib.import_module(name)
        except ImportError:  # a checkout without fastnn.nn.modules: stand in for its re-exports
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
        if not hasattr(sys.modules[name], cls.__name__):
            monkeypatch.setattr(sys.modules[name], cls.__name__, cls, raising=False)
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Embedding(12, 6), torch.nn.Dropout(0.1), torch.nn.LSTM(6, 5, 2)).eval()
    buf = io.BytesIO()
    torch.save(theirs, buf)
    buf.seek(0)
    with pytest.raises(ser.UnsafeCheckpointError, match=r"torch\.nn\.modules\.container\.Sequential"):
        fastnn.load(buf)
    buf.seek(0)
    with ser.safe_globals([nn.Sequential, nn.Embedding, nn.Dropout, nn.LSTM]):
        ours = fastnn.load(buf).eval()
    assert [type(m) for m in ours] == [nn.Embedding, nn.Dropout, nn.LSTM]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    tokens = np.random.default_rng(0).integers(0, 12, (4, 3))
    out_ours, _ = ours[2](ours[0](fastnn.tensor(tokens)))
    out_theirs, _ = theirs[2](theirs[0](torch.tensor(tokens)))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_flatten_parameters_is_a_no_op(cls):
    fastnn.manual_seed(7)
    layer = cls(3, 4, 2)
    before = [(p, p.detach().numpy().copy()) for p in layer.parameters()]
    x = fastnn.randn(5, 2, 3)
    out = layer(x)[0].detach().numpy()
    assert layer.flatten_parameters() is None
    after = list(layer.parameters())
    assert all(a is b for (a, _), b in zip(before, after)) and len(after) == len(before)
    assert all(np.array_equal(v, p.detach().numpy()) for p, v in before)
    np.testing.assert_array_equal(layer(x)[0].detach().numpy(), out)


def test_get_unsafe_globals_in_checkpoint_matches_pytorch(tmp_path):
    fastnn.save(RNNModel("GRU", 10, 4, 4, 1), tmp_path / "ours.pt")
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), tmp_path / "theirs.pt")
    for name in ("ours.pt", "theirs.pt"):
        expected = torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / name)
        assert sorted(ser.get_unsafe_globals_in_checkpoint(tmp_path / name)) == sorted(expected) != []
    with open(tmp_path / "ours.pt", "rb") as f, ser.safe_globals([RNNModel, nn.GRU]):
        assert sorted(ser.get_unsafe_globals_in_checkpoint(f)) == \
            ["fastnn.nn.dropout.Dropout", "fastnn.nn.embedding.Embedding", "fastnn.nn.linear.Linear"]
    fastnn.save({"w": fastnn.ones(2)}, tmp_path / "state.safetensors")
    with pytest.raises(ValueError, match="zip"):
        ser.get_unsafe_globals_in_checkpoint(tmp_path / "state.safetensors")


def test_tensor_layouts_round_trip_and_pytorch_reads_them():
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    items = {"scalar": fastnn.tensor(np.float32(2.5)), "empty": fastnn.zeros(0, 3),
             "fortran_row": fastnn.from_numpy(fortran[1]), "fortran_0d": fastnn.from_numpy(fortran[1:2, 2].reshape(())),
             "transposed": fastnn.from_numpy(np.arange(6.0).reshape(2, 3).T),
             "flipped": fastnn.from_numpy(np.arange(5)[::-1]), "bool": fastnn.tensor([True, False]),
             "broadcast": fastnn.from_numpy(np.broadcast_to(np.arange(3.0), (4, 3))), "model": nn.Linear(2, 2)}
    buf = io.BytesIO()
    fastnn.save(items, buf)
    with ser.safe_globals([nn.Linear]):
        buf.seek(0)
        ours = fastnn.load(buf)
    buf.seek(0)
    with torch.serialization.safe_globals([nn.Linear]):
        theirs = torch.load(buf)
    for key, value in items.items():
        if key != "model":
            want = value.numpy()
            for got in (ours[key].numpy(), theirs[key].numpy()):
                assert got.shape == want.shape and got.dtype == want.dtype, key
                np.testing.assert_array_equal(got, want, err_msg=key)
