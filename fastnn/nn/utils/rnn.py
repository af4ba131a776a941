"""Variable-length sequences: PackedSequence, pack/pad helpers (torch.nn.utils.rnn).

Every conversion is one differentiable gather: positions of the output read rows of the input
(padding reads one appended row of the padding value), so gradients flow back to the
sequences. A packed batch holds, for each time step t, the rows of the batch_sizes[t]
sequences still running, longest sequence first.
"""
from collections import namedtuple

import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd import ops

_PackedBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedBase):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _wrap(np.argsort(sorted_indices._data).astype(np.int64))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)

    def cpu(self):
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _lengths_array(lengths):
    arr = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    arr = np.asarray(arr).astype(np.int64).reshape(-1)
    return arr


def _gather_rows(source, index):
    """source (M, *) rows by index (any shape): a differentiable gather."""
    return ops.getitem(source, index)


def _with_padding_row(flat, padding_value):
    pad = _wrap(np.full((1,) + tuple(flat.shape[1:]), padding_value, flat.dtype))
    return ops.cat([flat, pad], 0)


def _pack_rows(padded, batch_sizes, sorted_indices):
    """(T, B, *) time-major padded -> packed data rows, time step by time step."""
    t_idx = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    b_idx = np.concatenate([sorted_indices[:n] for n in batch_sizes]) if batch_sizes.size else np.zeros(0, np.int64)
    return ops.getitem(padded, (t_idx, b_idx))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input must be a Tensor, got {type(input).__name__}")
    lens = _lengths_array(lengths)
    x = input.transpose(0, 1) if batch_first else input
    B = x.shape[1]
    if lens.size != B:
        raise ValueError(f"pack_padded_sequence: expected {B} lengths (one per batch element), got {lens.size}")
    if lens.size and (lens.min() <= 0 or lens.max() > x.shape[0]):
        raise ValueError(f"pack_padded_sequence: lengths must be in [1, {x.shape[0]}], got {lens.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order = np.arange(B, dtype=np.int64)
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable").astype(np.int64)
        sorted_indices = _wrap(order)
    sorted_lens = lens[order]
    batch_sizes = np.array([(sorted_lens > t).sum() for t in range(int(sorted_lens.max()) if B else 0)], np.int64)
    data = _pack_rows(x, batch_sizes, order)
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices, None)


def _order(sequence):
    B = int(sequence.batch_sizes._data[0]) if sequence.batch_sizes.numel() else 0
    if sequence.sorted_indices is None:
        return np.arange(B, dtype=np.int64)
    return sequence.sorted_indices._data.astype(np.int64)


def packed_lengths(sequence):
    """Each sequence's length, in the original batch order."""
    bs = sequence.batch_sizes._data
    order = _order(sequence)
    sorted_lens = np.array([(bs > i).sum() for i in range(order.size)], np.int64)
    lens = np.empty_like(sorted_lens)
    lens[order] = sorted_lens
    return lens


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    bs = sequence.batch_sizes._data.astype(np.int64)
    T = bs.size
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence ({T}), "
                             f"but got total_length={total_length}")
        T = total_length
    order = _order(sequence)
    B = order.size
    rows = sequence.data.shape[0]
    index = np.full((T, B), rows, np.int64)  # the appended padding row
    starts = np.concatenate([[0], np.cumsum(bs)[:-1]]) if bs.size else np.zeros(0, np.int64)
    for t in range(bs.size):
        index[t, order[:bs[t]]] = starts[t] + np.arange(bs[t])
    padded = _gather_rows(_with_padding_row(sequence.data, padding_value), index)
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _wrap(packed_lengths(sequence))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    if isinstance(sequences, Tensor):
        sequences = list(ops.unbind(sequences, 0))
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    lens = [s.shape[0] for s in sequences]
    T, B = max(lens), len(sequences)
    flat = ops.cat(sequences, 0)
    index = np.full((T, B), flat.shape[0], np.int64)
    start = 0
    for b, n in enumerate(lens):
        rows = start + np.arange(n)
        if padding_side == "right":
            index[:n, b] = rows
        else:
            index[T - n:, b] = rows
        start += n
    padded = _gather_rows(_with_padding_row(flat, padding_value), index)
    return padded.transpose(0, 1) if batch_first else padded


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :int(n)] for b, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def invert_permutation(permutation):
    if permutation is None:
        return None
    return _wrap(np.argsort(permutation._data).astype(np.int64))
