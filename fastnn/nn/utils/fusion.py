"""Fold an eval-mode BatchNorm into the convolution or linear layer before it (inference only)."""
import copy

import numpy as np

from ..parameter import Parameter


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta."""
    w = conv_w._data
    dt = w.dtype
    b = np.zeros(bn_rm.shape, dt) if conv_b is None else conv_b._data
    gamma = np.ones(bn_rm.shape, dt) if bn_w is None else bn_w._data
    beta = np.zeros(bn_rm.shape, dt) if bn_b is None else bn_b._data
    scale = gamma / np.sqrt(bn_rv._data + bn_eps)
    shape = [1] * w.ndim
    shape[1 if transpose else 0] = -1
    fused_w = (w * scale.reshape(shape)).astype(dt)
    fused_b = ((b - bn_rm._data) * scale + beta).astype(dt)
    return (Parameter(fused_w, requires_grad=conv_w.requires_grad),
            Parameter(fused_b, requires_grad=conv_w.requires_grad if conv_b is None else conv_b.requires_grad))


def fuse_conv_bn_eval(conv, bn, transpose=False):
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fuse_conv_bn_eval: the batch norm must track running statistics")
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
