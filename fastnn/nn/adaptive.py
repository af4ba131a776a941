"""AdaptiveLogSoftmaxWithLoss (Grave et al.'s adaptive softmax) and CTCLoss."""
from collections import namedtuple

import numpy as np

from .module import Module
from ..device import check_cpu
from .container import Sequential, ModuleList
from .linear import Linear
from .loss import _Loss
from . import functional as F
from ..autograd import ops
from ..autograd.tensor import _wrap

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """A head over the frequent classes plus one cluster token per tail cluster; each tail
    cluster has a low-rank projection (in_features / div_value^(i+1)) to its classes."""
    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        check_cpu(device)
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, dtype=dtype),
                                        Linear(hsz, osz, bias=False, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for seq in self.tail:
            for lin in seq:
                lin.reset_parameters()

    def forward(self, input_, target_):
        input, target = input_, target_
        unbatched = input.ndim == 1
        if unbatched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        if input.ndim != 2 or target.ndim != 1 or input.shape[0] != target.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        t = target._data.astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found. ")
        head_logprob = F.log_softmax(self.head(input), 1)
        gather = t.copy()
        pieces, rows_all = [], []
        bounds = [0] + self.cutoffs
        for i in range(1, len(bounds) - 1):
            low, high = bounds[i], bounds[i + 1]
            rows = np.nonzero((t >= low) & (t < high))[0]
            if rows.size == 0:
                continue
            gather[rows] = self.shortlist_size + i - 1
            cluster = F.log_softmax(self.tail[i - 1](input[rows]), 1)
            pieces.append(ops.gather(cluster, 1, _wrap((t[rows] - low)[:, None])).squeeze(1))
            rows_all.append(rows)
        output = ops.gather(head_logprob, 1, _wrap(gather[:, None])).squeeze(1)
        if pieces:
            rows = np.concatenate(rows_all)
            tail_part = ops.cat(pieces, 0)
            # scatter the tail log-probabilities to their rows: gather from [tail values, 0]
            index = np.full(t.size, rows.size, np.int64)
            index[rows] = np.arange(rows.size)
            output = output + ops.cat([tail_part, _wrap(np.zeros(1, tail_part.dtype))], 0)[index]
        loss = (-output).mean()
        if unbatched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _full_log_prob(self, input, head_output):
        head_logprob = F.log_softmax(head_output, 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = F.log_softmax(self.tail[i](input), 1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i:self.shortlist_size + i + 1])
        return ops.cat(parts, 1)

    def log_prob(self, input):
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        out = self._full_log_prob(x, self.head(x))
        return out.squeeze(0) if unbatched else out

    def predict(self, input):
        return ops.argmax(self.log_prob(input), -1)


class CTCLoss(_Loss):
    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)


class LinearCrossEntropyLoss(_Loss):
    """A Linear layer to (num_classes, *out_features) logits followed by cross-entropy."""
    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        super().__init__(reduction=reduction)
        check_cpu(device)
        if options is not None:
            raise NotImplementedError("LinearCrossEntropyLoss: options (chunked evaluation) are not supported")
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, options
        self.register_buffer("weight", weight)
        self.linear = Linear(in_features, num_classes * int(np.prod(self.out_features)), bias=bias, dtype=dtype)

    def forward(self, input, target):
        w = self.linear.weight.reshape((self.num_classes,) + self.out_features + (self.linear.in_features,))
        b = None if self.linear.bias is None else self.linear.bias.reshape((self.num_classes,) + self.out_features)
        return F.linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight, reduction=self.reduction,
                                      ignore_index=self.ignore_index, label_smoothing=self.label_smoothing)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
