"""Benchmark cases for the convolution family (float32, forward + backward)."""
import numpy as np

from ..registry import Case


def _conv_inputs(N, C, O, H, k, pad):
    def make(rng):
        x = rng.standard_normal((N, C, H, H)).astype(np.float32)
        w = (rng.standard_normal((O, C, k, k)) * 0.1).astype(np.float32)
        b = rng.standard_normal(O).astype(np.float32)
        ho = H + 2 * pad - k + 1
        g = rng.standard_normal((N, O, ho, ho)).astype(np.float32)
        return x, w, b, g, pad
    return make


def _conv_run(k, inputs):
    x, w, b, g, pad = inputs
    y = k.conv2d_forward(x, w, b, 1, pad)
    return (y,) + tuple(k.conv2d_backward(x, w, g, 1, pad))


def _conv_torch(inputs):
    import torch
    x, w, b, g, pad = inputs
    x, w, b, g = (torch.from_numpy(a) for a in (x, w, b, g))

    def step():
        xr, wr, br = (a.detach().requires_grad_() for a in (x, w, b))
        torch.nn.functional.conv2d(xr, wr, br, 1, pad).backward(g)
        return xr.grad, wr.grad, br.grad
    return step


def _tconv_inputs(rng):
    x = rng.standard_normal((64, 8, 7, 7)).astype(np.float32)
    w = (rng.standard_normal((8, 16, 3, 3)) * 0.1).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    g = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)
    return x, w, b, g


def _tconv_run(k, inputs):
    x, w, b, g = inputs
    y = k.conv_transpose2d_forward(x, w, b, 2, 1, 1)
    return (y,) + tuple(k.conv_transpose2d_backward(x, w, g, 2, 1, 1))


def _tconv_torch(inputs):
    import torch
    x, w, b, g = (torch.from_numpy(a) for a in inputs)

    def step():
        xr, wr, br = (a.detach().requires_grad_() for a in (x, w, b))
        torch.nn.functional.conv_transpose2d(xr, wr, br, 2, 1, 1).backward(g)
        return xr.grad, wr.grad
    return step


def _pool_inputs(rng):
    x = rng.standard_normal((64, 20, 24, 24)).astype(np.float32)
    g = rng.standard_normal((64, 20, 12, 12)).astype(np.float32)
    return x, g


def _max_pool_run(k, inputs):
    x, g = inputs
    y, idx = k.max_pool2d_forward(x, 2)
    return y, k.max_pool2d_backward(g, idx, x.shape)


def _avg_pool_run(k, inputs):
    x, g = inputs
    return k.avg_pool2d_forward(x, 2), k.avg_pool2d_backward(g, x.shape, 2)


def _pool_torch(fn):
    def setup(inputs):
        import torch
        x, g = (torch.from_numpy(a) for a in inputs)

        def step():
            xr = x.detach().requires_grad_()
            getattr(torch.nn.functional, fn)(xr, 2).backward(g)
            return xr.grad
        return step
    return setup


def _up_inputs(rng):
    x = rng.standard_normal((64, 8, 7, 7)).astype(np.float32)
    g = rng.standard_normal((64, 8, 14, 14)).astype(np.float32)
    return x, g


def _up_run(k, inputs):
    x, g = inputs
    return k.upsample_nearest2d_forward(x, 2, 2), k.upsample_nearest2d_backward(g, 2, 2)


def _up_torch(inputs):
    import torch
    x, g = (torch.from_numpy(a) for a in inputs)

    def step():
        xr = x.detach().requires_grad_()
        torch.nn.functional.interpolate(xr, scale_factor=2, mode="nearest").backward(g)
        return xr.grad
    return step


_CONV = ("conv2d_forward", "conv2d_backward")
CASES = [
    Case("conv2d LeNet-1 N=64 1->20 28x28 k5", "conv", _CONV, _conv_inputs(64, 1, 20, 28, 5, 0), _conv_run, _conv_torch),
    Case("conv2d LeNet-2 N=64 20->50 12x12 k5", "conv", _CONV, _conv_inputs(64, 20, 50, 12, 5, 0), _conv_run, _conv_torch),
    Case("conv2d autoencoder N=64 16->8 14x14 k3 p1", "conv", _CONV, _conv_inputs(64, 16, 8, 14, 3, 1), _conv_run,
         _conv_torch),
    Case("conv2d ResNet N=16 64->64 56x56 k3 p1", "conv", _CONV, _conv_inputs(16, 64, 64, 56, 3, 1), _conv_run,
         _conv_torch),
    Case("conv_transpose2d N=64 8->16 7x7 k3 s2", "conv", ("conv_transpose2d_forward", "conv_transpose2d_backward"),
         _tconv_inputs, _tconv_run, _tconv_torch),
    Case("max_pool2d 2x2 (64, 20, 24, 24)", "conv", ("max_pool2d_forward", "max_pool2d_backward"),
         _pool_inputs, _max_pool_run, _pool_torch("max_pool2d")),
    Case("avg_pool2d 2x2 (64, 20, 24, 24)", "conv", ("avg_pool2d_forward", "avg_pool2d_backward"),
         _pool_inputs, _avg_pool_run, _pool_torch("avg_pool2d")),
    Case("upsample nearest x2 (64, 8, 7, 7)", "conv", ("upsample_nearest2d_forward", "upsample_nearest2d_backward"),
         _up_inputs, _up_run, _up_torch),
]
