"""The torch.x forms of nn.functional ops whose keywords differ from F.x's.

PyTorch's top-level dropout family takes `train` (required, as is `p`) where F.dropout takes
`training`; torch.layer_norm and torch.group_norm take a cuDNN switch that means nothing on the CPU
(PyTorch ignores it there too). Each form checks its arguments and calls the functional op.
"""
from .nn import functional as F


def dropout(input, p, train):
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)
