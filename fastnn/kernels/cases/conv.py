"""Benchmark cases for the convolution family (float32, forward + backward)."""
import numpy as np

from ..registry import Case, torch_input_grad_step


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


def _pool_inputs(N, C, H, ceil_mode=False):
    def make(rng):
        x = rng.standard_normal((N, C, H, H)).astype(np.float32)
        out = -(-H // 2) if ceil_mode else H // 2
        g = rng.standard_normal((N, C, out, out)).astype(np.float32)
        return x, g, ceil_mode
    return make


def _max_pool_run(k, inputs):
    x, g, ceil_mode = inputs
    y, idx = k.max_pool2d_forward(x, 2, ceil_mode=ceil_mode)
    return y, k.max_pool2d_backward(g, idx, x.shape)


def _avg_pool_run(k, inputs):
    x, g, ceil_mode = inputs
    return (k.avg_pool2d_forward(x, 2, ceil_mode=ceil_mode),
            k.avg_pool2d_backward(g, x.shape, 2, ceil_mode=ceil_mode))


def _pool_torch(fn):
    def setup(inputs):
        import torch
        x, g, ceil_mode = inputs
        return torch_input_grad_step(lambda t: getattr(torch.nn.functional, fn)(t, 2, ceil_mode=ceil_mode),
                                     torch.from_numpy(x), torch.from_numpy(g))
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
    return torch_input_grad_step(lambda x: torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest"),
                                 *(torch.from_numpy(a) for a in inputs))


def _lenet_inputs(rng):
    shapes = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (500, 800), (500,), (10, 500), (10,)]
    params = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in shapes]
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    momentum = [np.zeros_like(p) for p in params]
    return params, momentum, x, y


def _lenet_step_run(k, inputs):
    """One LeNet training step (forward, NLL loss, backward, SGD lr 0.01 momentum 0.5) written
    with the kernels of module k and NumPy glue (ReLU, reshapes, the update)."""
    (w1, b1, w2, b2, w3, b3, w4, b4), momentum, x, y = inputs
    a1 = np.maximum(k.conv2d_forward(x, w1, b1), 0)
    p1, i1 = k.max_pool2d_forward(a1, 2)
    a2 = np.maximum(k.conv2d_forward(p1, w2, b2), 0)
    p2, i2 = k.max_pool2d_forward(a2, 2)
    f = p2.reshape(len(x), -1)
    a3 = np.maximum(k.linear_forward(f, w3, b3), 0)
    logp = k.softmax_forward(k.linear_forward(a3, w4, b4), log=True)
    g = np.zeros_like(logp)
    g[np.arange(len(y)), y] = -1.0 / len(y)
    g = k.softmax_backward(logp, g, log=True)
    g_a3, gw4, gb4 = k.linear_backward(a3, w4, g)
    g_f, gw3, gb3 = k.linear_backward(f, w3, g_a3 * (a3 > 0))
    g_a2 = k.max_pool2d_backward(g_f.reshape(p2.shape), i2, a2.shape) * (a2 > 0)
    g_p1, gw2, gb2 = k.conv2d_backward(p1, w2, g_a2)
    g_a1 = k.max_pool2d_backward(g_p1, i1, a1.shape) * (a1 > 0)
    _, gw1, gb1 = k.conv2d_backward(x, w1, g_a1, need_input=False)
    grads = (gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4)
    new_momentum = [0.5 * m + g for m, g in zip(momentum, grads)]
    # the gradients themselves too: an update p - 0.01 * m would hide a gradient error below ~0.02
    return tuple(p - 0.01 * m for p, m in zip(inputs[0], new_momentum)) + grads


def _lenet_step_torch(inputs):
    import torch
    params, _, x, y = inputs
    tparams = [torch.from_numpy(p.copy()).requires_grad_() for p in params]
    opt = torch.optim.SGD(tparams, lr=0.01, momentum=0.5)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    F = torch.nn.functional

    def step():
        w1, b1, w2, b2, w3, b3, w4, b4 = tparams
        opt.zero_grad()
        h = F.max_pool2d(F.relu(F.conv2d(tx, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h = F.relu(F.linear(h.flatten(1), w3, b3))
        F.nll_loss(F.log_softmax(F.linear(h, w4, b4), dim=1), ty).backward()
        opt.step()
    return step


_CONV = ("conv2d_forward", "conv2d_backward")
def _conv_flops(N, Cin, Cout, H, k, pad):
    """Forward, input gradient and weight gradient: three GEMM-sized products (multiply-add = 2)."""
    out = H + 2 * pad - k + 1
    return 3 * 2 * N * Cout * out * out * Cin * k * k


def _conv_case(name, N, Cin, Cout, H, k, pad):
    return Case(name, "conv", _CONV, _conv_inputs(N, Cin, Cout, H, k, pad), _conv_run, _conv_torch,
                flops=_conv_flops(N, Cin, Cout, H, k, pad))


CASES = [
    _conv_case("conv2d LeNet-1 N=64 1->20 28x28 k5", 64, 1, 20, 28, 5, 0),
    _conv_case("conv2d LeNet-2 N=64 20->50 12x12 k5", 64, 20, 50, 12, 5, 0),
    # every layer of the Keras-blog autoencoder (bench/steps.py), batch 128: encoder, then decoder
    _conv_case("conv2d autoencoder N=128 1->16 28x28 k3 p1", 128, 1, 16, 28, 3, 1),
    _conv_case("conv2d autoencoder N=128 16->8 14x14 k3 p1", 128, 16, 8, 14, 3, 1),
    _conv_case("conv2d autoencoder N=128 8->8 7x7 k3 p1", 128, 8, 8, 7, 3, 1),
    _conv_case("conv2d autoencoder N=128 8->8 4x4 k3 p1", 128, 8, 8, 4, 3, 1),
    _conv_case("conv2d autoencoder N=128 8->8 8x8 k3 p1", 128, 8, 8, 8, 3, 1),
    _conv_case("conv2d autoencoder N=128 8->16 16x16 k3", 128, 8, 16, 16, 3, 0),
    _conv_case("conv2d autoencoder N=128 16->1 28x28 k3 p1", 128, 16, 1, 28, 3, 1),
    _conv_case("conv2d ResNet N=16 64->64 56x56 k3 p1", 16, 64, 64, 56, 3, 1),
    Case("conv_transpose2d N=64 8->16 7x7 k3 s2", "conv", ("conv_transpose2d_forward", "conv_transpose2d_backward"),
         _tconv_inputs, _tconv_run, _tconv_torch),
    Case("max_pool2d 2x2 (64, 20, 24, 24)", "conv", ("max_pool2d_forward", "max_pool2d_backward"),
         _pool_inputs(64, 20, 24), _max_pool_run, _pool_torch("max_pool2d")),
    Case("max_pool2d 2x2 ceil_mode (128, 8, 7, 7)", "conv", ("max_pool2d_forward", "max_pool2d_backward"),
         _pool_inputs(128, 8, 7, ceil_mode=True), _max_pool_run, _pool_torch("max_pool2d")),
    Case("avg_pool2d 2x2 (64, 20, 24, 24)", "conv", ("avg_pool2d_forward", "avg_pool2d_backward"),
         _pool_inputs(64, 20, 24), _avg_pool_run, _pool_torch("avg_pool2d")),
    Case("upsample nearest x2 (64, 8, 7, 7)", "conv", ("upsample_nearest2d_forward", "upsample_nearest2d_backward"),
         _up_inputs, _up_run, _up_torch),
    Case("LeNet training step from kernels, batch 64", "conv",
         ("conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward", "linear_forward",
          "linear_backward", "softmax_forward", "softmax_backward"), _lenet_inputs, _lenet_step_run, _lenet_step_torch),
]
