"""Every array argument of every kernel is validated before the nogil code: a wrong dtype, a dtype
other than its partners', a wrong rank or a strided view raises a clear error naming the argument."""
import numpy as np
import pytest

from fastnn import kernels as K

F32 = np.float32
# what an argument is called in error messages, where that differs from the parameter name
ALIASES = {"x": ("x", "input"), "grad_out": ("grad_out", "grad"), "grad_output": ("grad_output", "grad")}


def _r(*shape, dtype=F32):
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape).astype(dtype)


def _conv_args():
    x, w = _r(2, 3, 6, 6), _r(4, 3, 3, 3)
    return {"x": x, "weight": w, "grad_out": _r(2, 4, 4, 4)}


def _pool_backward_args():
    out, idx = K.max_pool2d_forward(_r(2, 3, 6, 6), (2, 2), (2, 2), (0, 0), (1, 1), False)
    return {"grad_out": _r(*out.shape), "indices": idx}


def _rnn_args(kind):
    T, B, I, H = 3, 2, 4, 5
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    x, h0 = _r(T, B, I), _r(B, H)
    w = dict(w_ih=_r(G * H, I), w_hh=_r(G * H, H), b_ih=_r(G * H), b_hh=_r(G * H))
    if kind == "lstm":
        out, hn, cn, gates, cells = K.lstm_forward(x, h0, _r(B, H), *w.values())
        return "lstm_backward", dict(x=x, h0=h0, c0=_r(B, H), w_ih=w["w_ih"], w_hh=w["w_hh"], output=out, gates=gates,
                                     cells=cells, grad_output=_r(T, B, H), grad_hn=_r(B, H), grad_cn=_r(B, H))
    if kind == "gru":
        out, hn, gates = K.gru_forward(x, h0, *w.values())
        return "gru_backward", dict(x=x, h0=h0, w_ih=w["w_ih"], w_hh=w["w_hh"], output=out, gates=gates,
                                    grad_output=_r(T, B, H), grad_hn=_r(B, H))
    out, hn = K.rnn_forward(x, h0, *w.values())
    return "rnn_backward", dict(x=x, h0=h0, w_ih=w["w_ih"], w_hh=w["w_hh"], output=out, grad_output=_r(T, B, H),
                                grad_hn=_r(B, H))


def _cell_args(kind):
    B, I, H = 3, 4, 5
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    x, h = _r(B, I), _r(B, H)
    w = dict(w_ih=_r(G * H, I), w_hh=_r(G * H, H), b_ih=_r(G * H), b_hh=_r(G * H))
    fwd = {"lstm": dict(x=x, h=h, c=_r(B, H), **w), "gru": dict(x=x, h=h, **w), "rnn": dict(x=x, h=h, **w)}[kind]
    if kind == "lstm":
        h1, c1, gates = K.lstm_cell_forward(**fwd)
        bwd = dict(x=x, h=h, c=fwd["c"], w_ih=w["w_ih"], w_hh=w["w_hh"], h_new=h1, gates=gates, c_new=c1,
                   grad_h_new=_r(B, H), grad_c_new=_r(B, H))
    elif kind == "gru":
        h1, gates = K.gru_cell_forward(**fwd)
        bwd = dict(x=x, h=h, w_ih=w["w_ih"], w_hh=w["w_hh"], h_new=h1, gates=gates, grad_h_new=_r(B, H))
    else:
        h1 = K.rnn_cell_forward(**fwd)
        bwd = dict(x=x, h=h, w_ih=w["w_ih"], w_hh=w["w_hh"], h_new=h1, grad_h_new=_r(B, H))
    return [(f"{kind}_cell_forward", fwd), (f"{kind}_cell_backward", bwd)]


def _calls():
    conv = _conv_args()
    calls = [
        ("conv2d_forward", dict(x=conv["x"], weight=conv["weight"], bias=_r(4)), {}),
        ("conv2d_backward", conv, {}),
        ("conv_transpose2d_forward", dict(x=conv["grad_out"], weight=_r(4, 3, 3, 3), bias=_r(3)), {}),
        ("conv_transpose2d_backward", dict(x=conv["grad_out"], weight=_r(4, 3, 3, 3), grad_out=conv["x"]), {}),
        ("max_pool2d_forward", dict(x=conv["x"]), dict(kernel_size=(2, 2))),
        ("max_pool2d_backward", _pool_backward_args(), dict(input_shape=(2, 3, 6, 6))),
        ("avg_pool2d_forward", dict(x=conv["x"]), dict(kernel_size=(2, 2))),
        ("avg_pool2d_backward", dict(grad_out=_r(2, 3, 3, 3)), dict(input_shape=(2, 3, 6, 6), kernel_size=(2, 2))),
        ("upsample_nearest2d_forward", dict(x=conv["x"]), dict(scale_h=2, scale_w=2)),
        ("upsample_nearest2d_backward", dict(grad_out=_r(2, 3, 12, 12)), dict(scale_h=2, scale_w=2)),
        ("lstm_forward", dict(x=_r(3, 2, 4), h0=_r(2, 5), c0=_r(2, 5), w_ih=_r(20, 4), w_hh=_r(20, 5), b_ih=_r(20),
                              b_hh=_r(20)), {}),
        ("gru_forward", dict(x=_r(3, 2, 4), h0=_r(2, 5), w_ih=_r(15, 4), w_hh=_r(15, 5), b_ih=_r(15), b_hh=_r(15)), {}),
        ("rnn_forward", dict(x=_r(3, 2, 4), h0=_r(2, 5), w_ih=_r(5, 4), w_hh=_r(5, 5), b_ih=_r(5), b_hh=_r(5)), {}),
    ]
    for kind in ("lstm", "gru", "rnn"):
        name, args = _rnn_args(kind)
        calls.append((name, args, {}))
        calls += [(n, a, {}) for n, a in _cell_args(kind)]
    return calls


def _mutations(a):
    yield "int64", a.astype(np.int64)
    yield "float64 beside float32", a.astype(np.float64)
    yield "strided", np.repeat(a, 2, axis=-1)[..., ::2]
    yield "rank", a[None]
    # the kernels read dtypes by NumPy's type number, which a big-endian float32 shares with a native one
    yield "byte-swapped", a.astype(a.dtype.newbyteorder("S"))


def _float_arrays(arrays):
    return [a for a in arrays.values() if a.dtype.kind == "f"]


# a dtype mismatch needs a partner: kernels of one float array take float64 as readily as float32
CASES = [(name, arg, what) for name, arrays, _ in _calls() for arg in arrays
         for what in ("int64", "float64 beside float32", "strided", "rank", "byte-swapped")
         if what != "float64 beside float32" or len(_float_arrays(arrays)) > 1]


@pytest.mark.parametrize("name,arg,what", CASES, ids=[f"{n}-{a}-{w}" for n, a, w in CASES])
def test_bad_array_argument_is_refused_naming_it(name, arg, what):
    arrays, extra = next((a, e) for n, a, e in _calls() if n == name)
    getattr(K, name)(**arrays, **extra)  # the valid call works
    if arg == "indices" and what == "float64 beside float32":
        what = "int64"  # indices are int64: the float dtype mistake is covered by the int64 case's mirror
    bad = dict(_mutations(arrays[arg]))[what]
    if arg == "indices" and what == "int64":
        bad = arrays[arg].astype(np.float32)
    with pytest.raises((TypeError, ValueError, IndexError)) as err:
        getattr(K, name)(**{**arrays, arg: bad}, **extra)
    message = str(err.value)
    assert any(alias in message for alias in ALIASES.get(arg, (arg,))), f"{name}: {message!r} does not name {arg}"


def _small_layer_calls():
    """The kernels a small model calls on every step (their checks read arrays through NumPy's C API)."""
    x, w, b, t = _r(4, 3), _r(5, 3), _r(5), np.array([0, 2, 1, 4])
    logits = _r(4, 5)
    p, g = _r(6), _r(6)
    indptr, indices = np.array([0, 1, 3, 3, 4]), np.array([1, 0, 3, 2])
    return [
        ("relu_forward", dict(x=x)), ("relu_backward", dict(out=x, grad=_r(4, 3))),
        ("sigmoid_backward", dict(out=x, grad=_r(4, 3))),
        ("linear_forward", dict(x=x, weight=w, bias=b)),
        ("linear_backward", dict(x=x, weight=w, grad_out=_r(4, 5))),
        ("softmax_forward", dict(x=logits)), ("softmax_backward", dict(out=logits, grad=_r(4, 5))),
        ("cross_entropy_forward", dict(logits=logits, target=t)),
        ("cross_entropy_backward", dict(log_probs=logits, target=t, grad_loss=_r(4))),
        ("adam_step", dict(param=p.copy(), grad=g, exp_avg=_r(6), exp_avg_sq=np.abs(_r(6)), max_exp_avg_sq=None,
                           step=1, lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8)),
        ("sgd_step", dict(param=p.copy(), grad=g, momentum_buffer=None, lr=0.1)),
        ("spmm_csr", dict(indptr=indptr, indices=indices, values=_r(4), x=_r(4, 3))),
    ]


SMALL_CASES = [(name, arg) for name, arrays in _small_layer_calls() for arg, a in arrays.items()
               if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


@pytest.mark.parametrize("name,arg", SMALL_CASES, ids=[f"{n}-{a}" for n, a in SMALL_CASES])
def test_byte_swapped_float_argument_is_refused_naming_it(name, arg):
    """A big-endian float array has a native one's type number: read by it alone, its bytes would be taken for
    native floats (garbage results, no error). Each argument must be refused by name instead."""
    arrays = dict(next(a for n, a in _small_layer_calls() if n == name))
    getattr(K, name)(**arrays)  # the valid call works
    arrays = dict(next(a for n, a in _small_layer_calls() if n == name))
    arrays[arg] = arrays[arg].astype(arrays[arg].dtype.newbyteorder("S"))
    with pytest.raises((TypeError, ValueError)) as err:
        getattr(K, name)(**arrays)
    message = str(err.value)
    assert any(alias in message for alias in ALIASES.get(arg, (arg,))), f"{name}: {message!r}"
