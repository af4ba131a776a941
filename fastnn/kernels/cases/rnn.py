"""Benchmark cases for the recurrent family (float32): forward, and forward + backward.

Shapes: latency (T=100, B=1, I=10, H=20), medium (T=50, B=32, I=128, H=256), and a
2-layer bidirectional LSTM (T=50, B=32, I=128, H=128) built from the kernels the way nn.LSTM
stacks them (both directions of a layer in one pair call). PyTorch runs the same computation with
torch.nn.RNN/LSTM/GRU.
"""
import numpy as np

from ..registry import Case

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_CLASS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _layer_weights(rng, kind, I, H):
    s = 1 / np.sqrt(H)
    G = GATES[kind]
    return [rng.uniform(-s, s, shape).astype(np.float32) for shape in ((G * H, I), (G * H, H), (G * H,), (G * H,))]


def _inputs(kind, T, B, I, H, layers=1, directions=1):
    def make(rng):
        x = rng.standard_normal((T, B, I)).astype(np.float32)
        weights = [_layer_weights(rng, kind, I if layer == 0 else H * directions, H)
                   for layer in range(layers) for _ in range(directions)]
        grad = rng.standard_normal((T, B, H * directions)).astype(np.float32)
        return kind, x, weights, grad, layers, directions
    return make


def _zeros(x, H):
    return np.zeros((x.shape[1], H), x.dtype)


def _direction_forward(k, kind, x, w, reverse):
    """-> (output, saved) of one layer and direction."""
    H = w[1].shape[1]
    h0 = _zeros(x, H)
    if kind == "lstm":
        out, _, _, gates, cells = k.lstm_forward(x, h0, h0, *w, reverse=reverse)
        return out, (h0, out, gates, cells)
    if kind == "gru":
        out, _, gates = k.gru_forward(x, h0, *w, reverse=reverse)
        return out, (h0, out, gates)
    out, _ = k.rnn_forward(x, h0, *w, reverse=reverse)
    return out, (h0, out)


def _direction_backward(k, kind, x, w, saved, grad, reverse):
    if kind == "lstm":
        h0, out, gates, cells = saved
        return k.lstm_backward(x, h0, h0, w[0], w[1], out, gates, cells, grad, None, None, reverse=reverse)[0]
    if kind == "gru":
        h0, out, gates = saved
        return k.gru_backward(x, h0, w[0], w[1], out, gates, grad, None, reverse=reverse)[0]
    h0, out = saved
    return k.rnn_backward(x, h0, w[0], w[1], out, grad, None, reverse=reverse)[0]


def _run(k, inputs, backward=True):
    kind, x, weights, grad, layers, directions = inputs
    layer_inputs, saved = [], []
    h = x
    for layer in range(layers):
        layer_inputs.append(h)
        if kind == "lstm" and directions == 2:   # both directions in one call, as nn.LSTM runs them
            h0 = _zeros(h, weights[0][1].shape[1])
            pair = k.lstm_forward_pair(h, *[(h0, h0) + tuple(weights[layer * 2 + d]) for d in (0, 1)])
            outs = [res[0] for res in pair]
            saved += [(h0, res[0], res[3], res[4]) for res in pair]
        else:
            outs = []
            for d in range(directions):
                out, s = _direction_forward(k, kind, h, weights[layer * directions + d], reverse=d == 1)
                outs.append(out)
                saved.append(s)
        h = outs[0] if directions == 1 else np.concatenate(outs, axis=2)
    if not backward:
        return h
    H = weights[0][1].shape[1]
    for layer in reversed(range(layers)):
        if kind == "lstm" and directions == 2:
            args = []
            for d in (0, 1):
                i = layer * 2 + d
                h0, out, gates, cells = saved[i]
                g = np.ascontiguousarray(grad[:, :, d * H:(d + 1) * H])
                args.append((h0, h0, weights[i][0], weights[i][1], out, gates, cells, g, None, None))
            pair = k.lstm_backward_pair(layer_inputs[layer], *args)
            gx = pair[0][0] + pair[1][0]
        else:
            gx = 0
            for d in range(directions):
                i = layer * directions + d
                g = np.ascontiguousarray(grad[:, :, d * H:(d + 1) * H])
                gx = gx + _direction_backward(k, kind, layer_inputs[layer], weights[i], saved[i], g, reverse=d == 1)
        grad = gx
    return h, grad


def _torch(backward=True):
    def setup(inputs):
        import torch
        kind, x, weights, grad, layers, directions = inputs
        H = weights[0][1].shape[1]
        module = getattr(torch.nn, TORCH_CLASS[kind])(x.shape[2], H, num_layers=layers,
                                                      bidirectional=directions == 2)
        with torch.no_grad():
            for layer in range(layers):
                for d in range(directions):
                    sfx = f"l{layer}" + ("_reverse" if d else "")
                    for name, w in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                                       weights[layer * directions + d]):
                        getattr(module, f"{name}_{sfx}").copy_(torch.from_numpy(w))
        xt, gt = torch.from_numpy(x), torch.from_numpy(grad)

        def step():
            if not backward:
                with torch.no_grad():
                    return module(xt)[0]
            xr = xt.detach().requires_grad_()
            module(xr)[0].backward(gt)
            return xr.grad
        return step
    return setup


_GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _rnn_flops(kind, T, B, I, H, layers, directions, backward):
    """Input and recurrent products of every step (multiply-add = 2); backward adds the input and
    weight gradients, twice the forward's."""
    total, width = 0, I
    for _ in range(layers):
        total += directions * T * 2 * B * _GATES[kind] * H * (width + H)
        width = directions * H
    return 3 * total if backward else total


def _cases():
    shapes = [("latency (T=100, B=1, I=10, H=20)", (100, 1, 10, 20, 1, 1)),
              ("medium (T=50, B=32, I=128, H=256)", (50, 32, 128, 256, 1, 1))]
    cases = []
    for kind in ("lstm", "gru", "rnn"):
        names = (f"{kind}_forward",)
        both = names + (f"{kind}_backward",)
        for label, (T, B, I, H, L, D) in shapes:
            make = _inputs(kind, T, B, I, H, L, D)
            cases.append(Case(f"{kind} fwd {label}", "rnn", names, make,
                              lambda k, a: _run(k, a, backward=False), _torch(backward=False),
                              flops=_rnn_flops(kind, T, B, I, H, L, D, False)))
            cases.append(Case(f"{kind} fwd+bwd {label}", "rnn", both, make, _run, _torch(),
                              flops=_rnn_flops(kind, T, B, I, H, L, D, True)))
    make = _inputs("lstm", 50, 32, 128, 128, 2, 2)
    label = "2-layer bidirectional (T=50, B=32, I=128, H=128)"
    cases.append(Case(f"lstm fwd {label}", "rnn", ("lstm_forward_pair",), make,
                      lambda k, a: _run(k, a, backward=False), _torch(backward=False),
                      flops=_rnn_flops("lstm", 50, 32, 128, 128, 2, 2, False)))
    cases.append(Case(f"lstm fwd+bwd {label}", "rnn", ("lstm_forward_pair", "lstm_backward_pair"), make, _run, _torch(),
                      flops=_rnn_flops("lstm", 50, 32, 128, 128, 2, 2, True)))
    return cases


CASES = _cases()


def _cell_inputs(kind, B, I, H):
    def make(rng):
        w = _layer_weights(rng, kind, I, H)
        x, h, c, g = (rng.standard_normal(shape).astype(np.float32) for shape in ((B, I), (B, H), (B, H), (B, H)))
        return kind, x, h, c, w, g
    return make


def _cell_run(k, inputs):
    kind, x, h, c, w, g = inputs
    if kind == "lstm":
        h1, c1, gates = k.lstm_cell_forward(x, h, c, *w)
        return (h1,) + tuple(k.lstm_cell_backward(x, h, c, w[0], w[1], h1, gates, c1, g, None))
    if kind == "gru":
        h1, gates = k.gru_cell_forward(x, h, *w)
        return (h1,) + tuple(k.gru_cell_backward(x, h, w[0], w[1], h1, gates, g))
    h1 = k.rnn_cell_forward(x, h, *w)
    return (h1,) + tuple(k.rnn_cell_backward(x, h, w[0], w[1], h1, g))


def _cell_torch(inputs):
    import torch
    kind, x, h, c, w, g = inputs
    cell = getattr(torch.nn, TORCH_CLASS[kind] + "Cell")(x.shape[1], h.shape[1])
    with torch.no_grad():
        for name, a in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), w):
            getattr(cell, name).copy_(torch.from_numpy(a))
    xt, ht, ct, gt = (torch.from_numpy(a) for a in (x, h, c, g))

    def step():
        xr, hr = xt.detach().requires_grad_(), ht.detach().requires_grad_()
        out = cell(xr, (hr, ct)) if kind == "lstm" else cell(xr, hr)
        (out[0] if kind == "lstm" else out).backward(gt)
        return xr.grad, hr.grad
    return step


CASES += [Case(f"{kind} cell step fwd+bwd (B=64, I=128, H=256)", "rnn",
               (f"{kind}_cell_forward", f"{kind}_cell_backward"), _cell_inputs(kind, 64, 128, 256), _cell_run,
               _cell_torch) for kind in ("lstm", "gru", "rnn")]
