"""Reference RNN / LSTM / GRU kernels: one Python step per time step, NumPy matmuls inside.

Conventions are PyTorch's: x is (T, B, I), states are (B, H), w_ih is (G*H, I),
w_hh is (G*H, H), biases are (G*H,) or None (= zero), with G = 1 (RNN), 4 (LSTM,
gates i, f, g, o) or 3 (GRU, gates r, z, n).  With reverse=True the steps run
t = T-1 .. 0; output[t] is still the state produced at step t and h_n the state
after t = 0.

Every backward is the chain rule through the same step, run in the opposite
order.  Per step it yields the gradient w.r.t. the input-side pre-activations
(W_ih x + b_ih) and the hidden-side pre-activations (W_hh h + b_hh); these are
the same except for the GRU n gate, where the hidden side is scaled by r.  The
weight and bias gradients are then sums of outer products over all steps.

The cell kernels are the sequence kernels with T = 1.
"""
import numpy as np

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


# ---------------------------------------------------------------- checks

def _float(name, a, dtype=None):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{name} must have the dtype of x ({dtype}), got {a.dtype}")
    return a


def _shaped(name, a, shape, dtype):
    _float(name, a, dtype)
    if a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    return a


def _check(kind, x, w_ih, w_hh, b_ih=None, b_hh=None, **states):
    """Validate the common arguments; return (T, B, I, H) and the biases (zeros for None)."""
    _float("x", x)
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (T, B, I), got shape {x.shape}")
    T, B, I = x.shape
    if T == 0:
        raise ValueError("x is an empty sequence (T == 0)")
    G = _GATES[kind]
    _float("w_hh", w_hh, x.dtype)
    if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
        raise ValueError(f"w_hh must have shape ({G}*H, H), got {w_hh.shape}")
    H = w_hh.shape[1]
    _shaped("w_ih", w_ih, (G * H, I), x.dtype)
    biases = []
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        biases.append(np.zeros(G * H, x.dtype) if b is None else _shaped(name, b, (G * H,), x.dtype))
    for name, s in states.items():
        if s is not None:
            _shaped(name, s, (B, H), x.dtype)
    return (T, B, I, H), biases


def _state(s, dims, dtype):
    """An initial state, zeros when None (as the compiled kernels take it)."""
    return np.zeros((dims[1], dims[3]), dtype) if s is None else s


def _grad_or_zeros(name, g, shape, dtype):
    return np.zeros(shape, dtype) if g is None else _shaped(name, g, shape, dtype)


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


# ---------------------------------------------------------------- shared pieces

def _sigmoid(a):
    # tanh form: no overflow warnings for large |a|, and it keeps the dtype
    return 0.5 * (1 + np.tanh(0.5 * a))


def _order(T, reverse):
    """Time indices in processing order."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _previous(first, seq, reverse):
    """prev[t] = the state entering step t: `first` for the first step processed, else seq at the step before."""
    if reverse:
        return np.concatenate([seq[1:], first[None]])
    return np.concatenate([first[None], seq[:-1]])


def _weight_grads(x, h_prev, d_ih, d_hh):
    """Sum over steps and batch of the outer products; also returns grad_x."""
    T, B, I = x.shape
    GH, H = d_ih.shape[2], h_prev.shape[2]
    d_ih2, d_hh2 = d_ih.reshape(T * B, GH), d_hh.reshape(T * B, GH)
    return (d_ih2.T @ x.reshape(T * B, I), d_hh2.T @ h_prev.reshape(T * B, H),
            d_ih2.sum(axis=0), d_hh2.sum(axis=0))


# ---------------------------------------------------------------- Elman RNN

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", reverse=False):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).  Returns (output, h_n)."""
    _check_nonlinearity(nonlinearity)
    dims, (b_ih, b_hh) = _check("rnn", x, w_ih, w_hh, b_ih, b_hh, h0=h0)
    (T, B, I, H), h0 = dims, _state(h0, dims, x.dtype)
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    output = np.empty((T, B, H), x.dtype)
    h = h0
    for t in _order(T, reverse):
        h = act(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        output[t] = h
    return output, h


def rnn_backward(x, h0, w_ih, w_hh, output, grad_output, grad_hn, nonlinearity="tanh", reverse=False,
                 need_input=True):
    """Returns (grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    _check_nonlinearity(nonlinearity)
    dims, _ = _check("rnn", x, w_ih, w_hh, h0=h0)
    (T, B, I, H), h0 = dims, _state(h0, dims, x.dtype)
    _shaped("output", output, (T, B, H), x.dtype)
    grad_output = _grad_or_zeros("grad_output", grad_output, (T, B, H), x.dtype)
    dh = _grad_or_zeros("grad_hn", grad_hn, (B, H), x.dtype)
    d_pre = np.empty((T, B, H), x.dtype)
    for t in reversed(_order(T, reverse)):
        dh = dh + grad_output[t]  # h_t feeds both output[t] and the next step
        # both derivatives written in terms of the output, which is all we kept
        slope = 1 - output[t] * output[t] if nonlinearity == "tanh" else (output[t] > 0).astype(x.dtype)
        d_pre[t] = dh * slope
        dh = d_pre[t] @ w_hh
    h_prev = _previous(h0, output, reverse)
    gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(x, h_prev, d_pre, d_pre)
    return (d_pre @ w_ih if need_input else None), dh, gw_ih, gw_hh, gb_ih, gb_hh


# ---------------------------------------------------------------- LSTM

def _swap_time_batch(a):
    """a (B, T, ...) as a contiguous (T, B, ...), or the other way round; None stays None."""
    return None if a is None else np.ascontiguousarray(a.swapaxes(0, 1))


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False, batch_first=False):
    """Returns (output, h_n, c_n, gates, cells); gates holds the activated i, f, g, o, cells each c_t.
    batch_first: x and output are (B, T, .); gates and cells stay (T, B, .)."""
    if batch_first:
        output, h, c, gates, cells = lstm_forward(_swap_time_batch(x), h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        return _swap_time_batch(output), h, c, gates, cells
    dims, (b_ih, b_hh) = _check("lstm", x, w_ih, w_hh, b_ih, b_hh, h0=h0, c0=c0)
    (T, B, I, H), h0, c0 = dims, _state(h0, dims, x.dtype), _state(c0, dims, x.dtype)
    output = np.empty((T, B, H), x.dtype)
    gates = np.empty((T, B, 4 * H), x.dtype)
    cells = np.empty((T, B, H), x.dtype)
    h, c = h0, c0
    for t in _order(T, reverse):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        gates[t] = np.concatenate([i, f, g, o], axis=1)
        cells[t], output[t] = c, h
    return output, h, c, gates, cells


def lstm_backward(x, h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn, reverse=False,
                  need_input=True, batch_first=False):
    """Returns (grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    if batch_first:
        grads = lstm_backward(_swap_time_batch(x), h0, c0, w_ih, w_hh, _swap_time_batch(output),
                              gates, cells, _swap_time_batch(grad_output), grad_hn, grad_cn, reverse, need_input)
        return (_swap_time_batch(grads[0]),) + grads[1:]
    dims, _ = _check("lstm", x, w_ih, w_hh, h0=h0, c0=c0)
    (T, B, I, H), h0, c0 = dims, _state(h0, dims, x.dtype), _state(c0, dims, x.dtype)
    _shaped("output", output, (T, B, H), x.dtype)
    _shaped("gates", gates, (T, B, 4 * H), x.dtype)
    _shaped("cells", cells, (T, B, H), x.dtype)
    grad_output = _grad_or_zeros("grad_output", grad_output, (T, B, H), x.dtype)
    dh = _grad_or_zeros("grad_hn", grad_hn, (B, H), x.dtype)
    dc = _grad_or_zeros("grad_cn", grad_cn, (B, H), x.dtype)
    c_prev_all = _previous(c0, cells, reverse)
    d_pre = np.empty((T, B, 4 * H), x.dtype)
    for t in reversed(_order(T, reverse)):
        i, f, g, o = (gates[t, :, k * H:(k + 1) * H] for k in range(4))
        tanh_c = np.tanh(cells[t])
        dh = dh + grad_output[t]
        # c_t reaches the loss directly (next step / grad_cn) and through h_t = o * tanh(c_t)
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        di, df, dg, do = dc * g, dc * c_prev_all[t], dc * i, dh * tanh_c
        d_pre[t] = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=1)
        dh = d_pre[t] @ w_hh
        dc = dc * f
    h_prev = _previous(h0, output, reverse)
    gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(x, h_prev, d_pre, d_pre)
    return (d_pre @ w_ih if need_input else None), dh, dc, gw_ih, gw_hh, gb_ih, gb_hh


def lstm_forward_pair(x, forward, backward):
    """Both directions of a bidirectional layer: (lstm_forward(x, *forward), lstm_forward(x, *backward,
    reverse=True))."""
    return lstm_forward(x, *forward), lstm_forward(x, *backward, reverse=True)


def lstm_backward_pair(x, forward, backward, need_input=True):
    """(lstm_backward(x, *forward), lstm_backward(x, *backward, reverse=True)), need_input for both."""
    return (lstm_backward(x, *forward, need_input=need_input),
            lstm_backward(x, *backward, reverse=True, need_input=need_input))


# ---------------------------------------------------------------- GRU

def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """Returns (output, h_n, gates); gates holds r, z, n and W_hn h_{t-1} + b_hn (needed for dr)."""
    dims, (b_ih, b_hh) = _check("gru", x, w_ih, w_hh, b_ih, b_hh, h0=h0)
    (T, B, I, H), h0 = dims, _state(h0, dims, x.dtype)
    output = np.empty((T, B, H), x.dtype)
    gates = np.empty((T, B, 4 * H), x.dtype)
    h = h0
    for t in _order(T, reverse):
        gi = x[t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = _sigmoid(gi[:, :H] + gh[:, :H])
        z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        hn = gh[:, 2 * H:]
        n = np.tanh(gi[:, 2 * H:] + r * hn)
        h = (1 - z) * n + z * h
        gates[t] = np.concatenate([r, z, n, hn], axis=1)
        output[t] = h
    return output, h, gates


def gru_backward(x, h0, w_ih, w_hh, output, gates, grad_output, grad_hn, reverse=False, need_input=True):
    """Returns (grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    dims, _ = _check("gru", x, w_ih, w_hh, h0=h0)
    (T, B, I, H), h0 = dims, _state(h0, dims, x.dtype)
    _shaped("output", output, (T, B, H), x.dtype)
    _shaped("gates", gates, (T, B, 4 * H), x.dtype)
    grad_output = _grad_or_zeros("grad_output", grad_output, (T, B, H), x.dtype)
    dh = _grad_or_zeros("grad_hn", grad_hn, (B, H), x.dtype)
    h_prev = _previous(h0, output, reverse)
    d_ih = np.empty((T, B, 3 * H), x.dtype)
    d_hh = np.empty((T, B, 3 * H), x.dtype)
    for t in reversed(_order(T, reverse)):
        r, z, n, hn = (gates[t, :, k * H:(k + 1) * H] for k in range(4))
        dh = dh + grad_output[t]
        dn = dh * (1 - n * n) * (1 - z)             # d(W_in x + b_in + r * hn)
        dr = dn * hn * r * (1 - r)
        dz = dh * (h_prev[t] - n) * z * (1 - z)
        d_ih[t] = np.concatenate([dr, dz, dn], axis=1)
        d_hh[t] = np.concatenate([dr, dz, dn * r], axis=1)  # r scales the hidden-side n term
        dh = d_hh[t] @ w_hh + dh * z                       # z * h_{t-1} passes h straight through
    gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(x, h_prev, d_ih, d_hh)
    return (d_ih @ w_ih if need_input else None), dh, gw_ih, gw_hh, gb_ih, gb_hh


# ---------------------------------------------------------------- single cells (T = 1)

def _step(name, a):
    """A 2-D cell argument as a length-1 sequence."""
    _float(name, a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    return a[None]


def _step_grad(name, g, like):
    """Like _step, but None (no gradient) becomes zeros."""
    return np.zeros_like(_step(name, like)) if g is None else _step(name, g)


def rnn_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    return rnn_forward(_step("x", x), h, w_ih, w_hh, b_ih, b_hh, nonlinearity)[1]


def rnn_cell_backward(x, h, w_ih, w_hh, h_new, grad_h_new, nonlinearity="tanh"):
    gx, gh, *rest = rnn_backward(_step("x", x), h, w_ih, w_hh, _step("h_new", h_new),
                                 _step_grad("grad_h_new", grad_h_new, h_new), None, nonlinearity)
    return (gx[0], gh, *rest)


def lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh):
    _, h_new, c_new, gates, _ = lstm_forward(_step("x", x), h, c, w_ih, w_hh, b_ih, b_hh)
    return h_new, c_new, gates[0]


def lstm_cell_backward(x, h, c, w_ih, w_hh, h_new, gates, c_new, grad_h_new, grad_c_new):
    # grad_c_new enters as grad_cn: the final cell state is the only cell state here
    gx, *rest = lstm_backward(_step("x", x), h, c, w_ih, w_hh, _step("h_new", h_new), _step("gates", gates),
                              _step("c_new", c_new), _step_grad("grad_h_new", grad_h_new, h_new), None, grad_c_new)
    return (gx[0], *rest)


def gru_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh):
    _, h_new, gates = gru_forward(_step("x", x), h, w_ih, w_hh, b_ih, b_hh)
    return h_new, gates[0]


def gru_cell_backward(x, h, w_ih, w_hh, h_new, gates, grad_h_new):
    gx, *rest = gru_backward(_step("x", x), h, w_ih, w_hh, _step("h_new", h_new), _step("gates", gates),
                             _step_grad("grad_h_new", grad_h_new, h_new), None)
    return (gx[0], *rest)
