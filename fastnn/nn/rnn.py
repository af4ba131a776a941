"""RNN, LSTM, GRU and their single-step cells, with PyTorch's signatures, parameter names,
layouts and initialisation (a PyTorch state_dict as NumPy arrays loads and gives the same outputs).

A layer direction is one autograd Function (one native call per pass); the Python here only
stacks layers and directions, applies inter-layer dropout and arranges the states.
"""
import math

import numpy as np

from .module import Module
from .parameter import Parameter
from . import init
from . import functional as F
from ..autograd.native.rnn import (LSTMDirectionFn, LSTMPairFn, GRUDirectionFn, RNNDirectionFn, LSTMCellFn, GRUCellFn,
                                   RNNCellFn)
from .._checks import positive_int
from ..autograd import Tensor
from ..autograd.dtypes import canonical_dtype, float32
from ..autograd.ops import cat, stack
from ..autograd.tensor import _wrap
from .utils.rnn import PackedSequence, pad_packed_sequence, packed_lengths, _pack_rows, _order


def _zeros_like_rows(t, n):
    return _wrap(np.zeros((n,) + tuple(t.shape[1:]), t.dtype))

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_float_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(t).__name__}")
    if t.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be a floating-point tensor (float32 or float64), got {t.dtype}")


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if proj_size:
            raise NotImplementedError("proj_size is not supported")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1], got {dropout!r}")
        self.mode = mode
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.num_layers = positive_int(num_layers, "num_layers")
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.dropout = float(dropout)
        self.proj_size = 0
        dt = float32 if dtype is None else canonical_dtype(dtype)
        G, H = _GATES[mode], self.hidden_size
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes(layer):
                shapes = [("weight_ih", (G * H, layer_in)), ("weight_hh", (G * H, H))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(np.empty(shape, dt)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer):
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def reset_parameters(self):
        # PyTorch: every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self):
        """PyTorch compacts cuDNN weights here; the CPU layout is already what the kernels use."""

    @property
    def all_weights(self):
        return [[w for w in self._layer_weights(sfx) if w is not None]
                for layer in range(self.num_layers) for sfx in self._suffixes(layer)]

    def _layer_weights(self, suffix):
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _check_input(self, input):
        _check_float_tensor(input, "input")
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: input must be 2-D (unbatched) or 3-D, got shape "
                             f"{tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must be equal to input_size "
                             f"({self.input_size}), got {input.shape[-1]}")
        if input.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{type(self).__name__}: input dtype {input.dtype} differs from the parameters' "
                            f"dtype {self.weight_ih_l0.dtype}")
        time_dim = 0 if input.ndim == 2 or not self.batch_first else 1
        if input.shape[time_dim] == 0:
            raise ValueError(f"{type(self).__name__}: input is an empty sequence (length 0)")

    def _check_state(self, h, name, batch, batched):
        _check_float_tensor(h, name)
        want = (self.num_layers * self.num_directions, batch, self.hidden_size) if batched else \
            (self.num_layers * self.num_directions, self.hidden_size)
        if tuple(h.shape) != want:
            raise ValueError(f"{type(self).__name__}: {name} must have shape {want}, got {tuple(h.shape)}")
        if h.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{type(self).__name__}: {name} dtype {h.dtype} differs from the parameters' dtype "
                            f"{self.weight_ih_l0.dtype}")

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        batched = input.ndim == 3
        lstm = self.mode == "LSTM"
        # a one-direction LSTM runs batch-first as it is: its kernels read and write that layout
        in_place = batched and self.batch_first and lstm and self.num_directions == 1
        x = input if not batched or in_place else (input.transpose(0, 1) if self.batch_first else input)
        if not batched:
            x = x.unsqueeze(1)
        batch = x.shape[0 if in_place else 1]
        states = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
                names = ("h_0", "c_0")
            else:
                hx, names = (hx,), ("hx",)
            for h, name in zip(hx, names):
                self._check_state(h, name, batch, batched)
            states = [h if batched else h.unsqueeze(1) for h in hx]
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            if lstm and self.num_directions == 2:   # both directions in one call: they can run side by side
                outs = self._lstm_pair_layer(x, layer, states, h_n, c_n)
            else:
                outs = self._directions_layer(x, layer, states, h_n, c_n, in_place)
            x = outs[0] if len(outs) == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x
        h_n = stack(h_n, 0)
        c_n = stack(c_n, 0) if lstm else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first and not in_place:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _lstm_pair_layer(self, x, layer, states, h_n, c_n):
        """Both directions of bidirectional LSTM layer `layer` in one Function; their final states are appended
        to h_n and c_n. Returns the two directions' outputs."""
        i = 2 * layer
        sides = [(None, None) if states is None else (states[0][i + d], states[1][i + d]) for d in (0, 1)]
        forward, backward = (self._layer_weights(sfx) for sfx in self._suffixes(layer))
        out, hn, cn, out_r, hn_r, cn_r = LSTMPairFn.apply(x, *sides[0], *forward, *sides[1], *backward)
        h_n += [hn, hn_r]
        c_n += [cn, cn_r]
        return [out, out_r]

    def _directions_layer(self, x, layer, states, h_n, c_n, batch_first=False):
        """Layer `layer`, one direction after the other; final states appended to h_n (and c_n). Returns the
        directions' outputs. batch_first: x (and each output) is (B, T, .), an LSTM's only."""
        lstm = self.mode == "LSTM"
        outs = []
        for d, suffix in enumerate(self._suffixes(layer)):
            i = layer * self.num_directions + d
            h0 = None if states is None else states[0][i]
            w = self._layer_weights(suffix)
            if lstm:
                c0 = None if states is None else states[1][i]
                out, hn, cn = LSTMDirectionFn.apply(x, h0, c0, *w, d == 1, batch_first)
                c_n.append(cn)
            elif self.mode == "GRU":
                out, hn = GRUDirectionFn.apply(x, h0, *w, d == 1)
            else:
                out, hn = RNNDirectionFn.apply(x, h0, *w, self.mode[4:].lower(), d == 1)
            outs.append(out)
            h_n.append(hn)
        return outs

    def _forward_packed(self, packed, hx):
        """Run each group of equal-length sequences unpadded, then pack the outputs like the input.
        States (hx and h_n) are in the original batch order, as in PyTorch."""
        padded, _ = pad_packed_sequence(packed)
        lens = packed_lengths(packed)
        T, B = padded.shape[:2]
        lstm = self.mode == "LSTM"
        if hx is not None:
            if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            for h, name in zip(hx if lstm else (hx,), ("h_0", "c_0") if lstm else ("hx",)):
                self._check_state(h, name, B, True)
        outs, hs, cs, perm = [], [], [], []
        for L in sorted(set(lens.tolist()), reverse=True):
            items = np.nonzero(lens == L)[0]
            x = padded[:L, items]
            h = None if hx is None else (tuple(s[:, items] for s in hx) if lstm else hx[:, items])
            out, state = self.forward(x.transpose(0, 1) if self.batch_first else x, h)
            out = out.transpose(0, 1) if self.batch_first else out
            if L < T:
                out = cat([out, _zeros_like_rows(out, T - L)], 0)
            outs.append(out)
            hs.append(state[0] if lstm else state)
            if lstm:
                cs.append(state[1])
            perm.append(items)
        inverse = np.argsort(np.concatenate(perm))
        full = cat(outs, 1)[:, inverse]
        data = _pack_rows(full, packed.batch_sizes._data.astype(np.int64), _order(packed))
        output = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        h_n = cat(hs, 1)[:, inverse]
        return (output, (h_n, cat(cs, 1)[:, inverse])) if lstm else (output, h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.bias = bool(bias)
        dt = float32 if dtype is None else canonical_dtype(dtype)
        G = num_chunks * self.hidden_size
        self.weight_ih = Parameter(np.empty((G, self.input_size), dt))
        self.weight_hh = Parameter(np.empty((G, self.hidden_size), dt))
        if bias:
            self.bias_ih = Parameter(np.empty(G, dt))
            self.bias_hh = Parameter(np.empty(G, dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _prepare(self, input, states, names):
        """Batch the input and states (a 1-D input is one unbatched sample); zeros for missing states."""
        _check_float_tensor(input, "input")
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: input must be 1-D or 2-D, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input has {input.shape[-1]} features, expected input_size "
                             f"{self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = []
        for s, name in zip(states, names):
            if s is None:
                out.append(Tensor(np.zeros((x.shape[0], self.hidden_size), self.weight_ih.dtype)))
                continue
            _check_float_tensor(s, name)
            want = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
            if tuple(s.shape) != want:
                raise ValueError(f"{type(self).__name__}: {name} must have shape {want}, got {tuple(s.shape)}")
            out.append(s if batched else s.unsqueeze(0))
        return x, out, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,), ("hx",))
        h1 = RNNCellFn.apply(x, h, *self._weights(), self.nonlinearity)
        return h1 if batched else h1.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0)")
        x, (h, c), batched = self._prepare(input, hx if hx is not None else (None, None), ("h_0", "c_0"))
        h1, c1 = LSTMCellFn.apply(x, h, c, *self._weights())
        return (h1, c1) if batched else (h1.squeeze(0), c1.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,), ("hx",))
        h1 = GRUCellFn.apply(x, h, *self._weights())
        return h1 if batched else h1.squeeze(0)
