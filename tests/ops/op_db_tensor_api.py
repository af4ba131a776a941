"""Op table rows: the Tensor's properties, flags, conversions, autograd plumbing and small in-place
methods. Where a name gives no tensor to compare (a flag, a shape, a hook), the row's op returns the
Python values PyTorch code reads from it; `_exc` turns an expected failure into its exception class."""
import numpy as np

from .opinfo import OpRow, S, FLOATS, INTS

ALL = FLOATS + INTS + ("bool",)


def _dt(d):
    return str(d).replace("torch.", "")


def _exc(fn):
    """The built-in exception class fn raises (the first in its MRO), or "no error"."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the class is the result)
        return next(t for t in type(e).__mro__ if t.__module__ == "builtins").__name__
    return "no error"


def _get(name, *args):
    """x.name(*args) for a method, x.name for a property."""
    def op(lib, x):
        v = getattr(x, name)
        return v(*args) if callable(v) else v
    return op


def _leaf(x):
    return x.detach().clone().requires_grad_(True)


ROWS = [
    # ------------------------------------------------------------ transposes as properties
    OpRow("T", lambda t: [S(t((3, 4))), S(t((3,))), S(t(())), S(t((3, 4), strided=True))], op=lambda lib, x: x.T),
    OpRow("mT", lambda t: [S(t((3, 4))), S(t((2, 3, 4)))], op=lambda lib, x: x.mT,
          errors=lambda t: [S(t((3,)))]),
    OpRow("H", lambda t: [S(t((3, 4))), S(t(()))], op=lambda lib, x: x.H, errors=lambda t: [S(t((2, 3, 4)))]),
    OpRow("mH", lambda t: [S(t((3, 4))), S(t((2, 3, 4)))], op=lambda lib, x: x.mH, errors=lambda t: [S(t((3,)))]),
    # ------------------------------------------------------------ shape, size and memory
    OpRow("shape", lambda t: [S(t((3, 4))), S(t(())), S(t((0, 2)))], op=lambda lib, x: tuple(x.shape), grad=False),
    OpRow("size", lambda t: [S(t((3, 4))), S(t(()))], grad=False,
          op=lambda lib, x: (tuple(x.size()), x.size(-1) if x.ndim else 0, _exc(lambda: x.size(5)))),
    OpRow("dim", lambda t: [S(t((3, 4))), S(t(()))], op=_get("dim"), grad=False),
    OpRow("ndim", lambda t: [S(t((3, 4, 2))), S(t(()))], op=_get("ndim"), grad=False),
    OpRow("numel", lambda t: [S(t((3, 4))), S(t(())), S(t((0, 3)))], op=_get("numel"), grad=False, dtypes=ALL),
    OpRow("nelement", lambda t: [S(t((3, 4))), S(t((0, 3)))], op=_get("nelement"), grad=False),
    OpRow("element_size", lambda t: [S(t((2,)))], op=_get("element_size"), grad=False, dtypes=ALL),
    OpRow("itemsize", lambda t: [S(t((2,)))], op=_get("itemsize"), grad=False, dtypes=ALL),
    OpRow("nbytes", lambda t: [S(t((3, 4))), S(t((3, 4), strided=True))], op=_get("nbytes"), grad=False, dtypes=ALL),
    OpRow("stride", lambda t: [S(t((3, 4))), S(t((3, 4), strided=True)), S(t((4, 3)).T), S(t(()))],
          op=lambda lib, x: (x.stride(), x.stride(0) if x.ndim else 0, x.stride(-1) if x.ndim else 0), grad=False,
          dtypes=ALL),
    OpRow("storage_offset", lambda t: [S(t((4, 5)))], grad=False,
          op=lambda lib, x: (x.storage_offset(), x[1:].storage_offset(), x[2, 1:].storage_offset(),
                             x[:, 3].storage_offset(), x.view(-1)[7:].storage_offset())),
    OpRow("data_ptr", lambda t: [S(t((4, 5)))], grad=False, dtypes=ALL,
          op=lambda lib, x: (type(x.data_ptr()), x[1:].data_ptr() - x.data_ptr(), x.view(-1).data_ptr() == x.data_ptr(),
                             x.clone().data_ptr() != x.data_ptr())),
    OpRow("contiguous", lambda t: [S(t((3, 4))), S(t(())), S(t((2, 3))), S(t((3, 4), strided=True)), S(t((4, 3)).T)],
          op=lambda lib, x: (x.contiguous(), x.contiguous().is_contiguous(),
                             (x.contiguous() is x) == x.is_contiguous())),
    OpRow("is_contiguous", lambda t: [S(t((3, 4))), S(t((3, 4), strided=True)), S(t((4, 3)).T), S(t((1, 3)).T)],
          op=_get("is_contiguous"), grad=False),
    OpRow("new_empty_strided", lambda t: [S(t((2,)), (2, 3), (3, 1)), S(t((2,)), (2, 3), (1, 2), dtype="dtype:int64")],
          op=lambda lib, x, *a, **k: (lambda y: (tuple(y.shape), y.stride(), _dt(y.dtype)))(
              x.new_empty_strided(*a, **k)),
          grad=False),
    # ------------------------------------------------------------ device, dtype and layout queries
    OpRow("dtype", lambda t: [S(t((2,)))], op=lambda lib, x: _dt(x.dtype), grad=False, dtypes=ALL),
    OpRow("layout", lambda t: [S(t((2,)))], op=lambda lib, x: (str(x.layout), str(x.to_sparse().layout)), grad=False),
    OpRow("device", lambda t: [S(t((2,)))], op=lambda lib, x: (str(x.device), x.device.type, x.device.index),
          grad=False),
    OpRow("get_device", lambda t: [S(t((2,)))], op=_get("get_device"), grad=False),
    OpRow("cpu", lambda t: [S(t((2, 3)))], op=lambda lib, x: (x.cpu(), x.cpu() is x)),
    OpRow("cuda", lambda t: [S(t((2, 3)))], op=lambda lib, x: x.cuda(), grad=False,
          note="PyTorch without CUDA: the same exception class"),
    OpRow("pin_memory", lambda t: [S(t((2, 3)))], grad=False, note="a copy in fastnn (documented), an error in PyTorch",
          op=lambda lib, x: (x.is_pinned(), _exc(x.pin_memory) in ("no error", "RuntimeError"))),
    OpRow("share_memory_", lambda t: [S(t((2, 3)))], grad=False,
          op=lambda lib, x: (lambda y: (y.is_shared(), y.share_memory_() is y, y.is_shared(), y))(x.clone())),
] + [OpRow(n, lambda t: [S(t((2, 3)))], op=_get(n), grad=False, note="flag", dtypes=ALL)
     for n in ("is_cpu", "is_cuda", "is_floating_point", "is_inference", "is_ipu", "is_meta", "is_mkldnn", "is_mps",
               "is_pinned", "is_quantized", "is_shared", "is_xla", "is_xpu", "is_leaf", "requires_grad", "grad",
               "grad_fn", "output_nr", "retains_grad", "is_sparse", "is_sparse_csr")] + [
    OpRow("is_sparse", lambda t: [S(t((2, 3)))], grad=False, note="sparse",
          op=lambda lib, x: (x.to_sparse().is_sparse, x.to_sparse_csr().is_sparse, x.to_sparse_csr().is_sparse_csr)),
    OpRow("is_nonzero", lambda t: [S(t((1,))), S(np.zeros((1, 1), t.dtype)), S(t(()))], op=_get("is_nonzero"),
          grad=False, dtypes=ALL, errors=lambda t: [S(t((2,))), S(t((0,)))]),
    OpRow("item", lambda t: [S(t(())), S(t((1,))), S(t((1, 1)))], op=_get("item"), grad=False, dtypes=ALL,
          errors=lambda t: [S(t((2,)))]),
    OpRow("tolist", lambda t: [S(t((2, 3))), S(t(())), S(t((0,))), S(t((2, 1, 2), strided=True))], op=_get("tolist"),
          grad=False, dtypes=ALL),
    OpRow("numpy", lambda t: [S(t((2, 3))), S(t((2, 3), strided=True))], grad=False, dtypes=ALL,
          op=lambda lib, x: (lambda y: (y.numpy().dtype.str, y.numpy().shape, _set_through_numpy(lib, y),
                                        _exc(lambda: _leaf(y).numpy()) if y.is_floating_point() else ""))(x.clone())),
]


def _set_through_numpy(lib, y):
    """.numpy() shares memory: a write through it shows in the tensor."""
    y.numpy()[...] = 1
    return y


# ------------------------------------------------------------ conversions and in-place fills
ROWS += [
    OpRow("to", lambda t: [S(t((2, 3)), "dtype:float64"), S(t((2, 3)), "cpu"), S(t((2, 3)), np.zeros(2, np.int64)),
                           S(t((2, 3)), "cpu", "dtype:int32"), S(t((2, 3)), dtype="dtype:float64", copy=True),
                           S(t((2, 3)), device="cpu", dtype="dtype:bool")],
          variants=("method",), dtypes=FLOATS + INTS, errors=lambda t: [S(t((2,)), "cuda")]),
    OpRow("to", lambda t: [S(t((2, 3)))], grad=False, note="self when nothing changes",
          op=lambda lib, x: (x.to(x.dtype) is x, x.to("cpu") is x, x.to(x) is x, x.to(x.dtype, copy=True) is x)),
    OpRow("type", lambda t: [S(t((2, 3)))], grad=False, dtypes=ALL,
          op=lambda lib, x: (x.type(), _dt(x.type(lib.float64).dtype), _dt(x.type("torch.IntTensor").dtype),
                             _dt(x.type(lib.LongTensor).dtype), x.type(x.dtype) is x, lib.typename(x)),
          errors=lambda t: [S(t((2,)), "torch.NoSuchTensor")]),
    OpRow("bfloat16", lambda t: [S(t((2, 3)))], op=lambda lib, x: (_dt(x.bfloat16().dtype), x.bfloat16().float()),
          grad=False, atol=0.02, rtol=0.01),
    OpRow("copy_", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)), note="broadcast"),
                              S(t((3, 4)), t((3, 4), strided=True)), S(t((3, 4)), t((3, 4), dtype="int64"))],
          op=lambda lib, dst, src: dst.clone().copy_(src), errors=lambda t: [S(t((3, 4)), t((3,)))]),
    OpRow("copy_", lambda t: [S(t((3, 4)), t((4,)))], note="into a fresh tensor",
          op=lambda lib, dst, src: lib.zeros(3, 4, dtype=dst.dtype).copy_(src) * dst),
    OpRow("fill_", lambda t: [S(t((3, 4)), t(()))], op=lambda lib, x, v: (x.clone().fill_(v), x.clone().fill_(1.5)),
          errors=lambda t: [S(t((3, 4)), t((2,)))]),
    OpRow("zero_", lambda t: [S(t((3, 4))), S(t((3, 4), strided=True))], op=lambda lib, x: x.clone().zero_(),
          dtypes=ALL),
    OpRow("zero_", lambda t: [S(t((3, 4)))], op=lambda lib, x: lib.zero_(x.clone()), grad=False, note="torch.zero_"),
    OpRow("fill_diagonal_", lambda t: [S(t((3, 4)), 2.0), S(t((7, 3)), -1.0), S(t((7, 3)), 0.5, True),
                                       S(t((3, 3, 3)), 4.0)],
          op=lambda lib, x, *a: x.clone().fill_diagonal_(*a), errors=lambda t: [S(t((3, 4, 5)), 1.0)]),
    OpRow("apply_", lambda t: [S(t((3, 4))), S(t((3, 4), strided=True))], dtypes=FLOATS + INTS, grad=False,
          op=lambda lib, x: (lambda y: (y.apply_(lambda v: v * 2 + 1) is y, y))(x.clone())),
    OpRow("map_", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3, 4)), t((4,)))], grad=False,
          op=lambda lib, x, y: (lambda z: (z.map_(y, lambda a, b: a - 2 * b) is z, z))(x.clone())),
    OpRow("unsafe_split_with_sizes", lambda t: [S(t((5, 2)), [2, 3]), S(t((2, 5)), [1, 4], 1)]),
    OpRow("data", lambda t: [S(t((2, 3)))], grad=False,
          op=lambda lib, x: (lambda y: (y.data, y.data.requires_grad, y.data.data_ptr() == y.data_ptr()))(_leaf(x))),
]


# ------------------------------------------------------------ autograd plumbing on a leaf built inside the op
def _backward(lib, x, g=None):
    y = _leaf(x)
    z = (y * y).sin()
    if g is None:
        z.sum().backward()
    else:
        z.backward(g, retain_graph=True)
        z.backward(g)  # a second pass accumulates into .grad
    return y.grad


def _grad_attrs(lib, x):
    y = _leaf(x)
    z = y * 3
    before = (y.grad is None, y.is_leaf, z.is_leaf, y.requires_grad, z.requires_grad, y.grad_fn is None,
              z.grad_fn is not None, z.detach().grad_fn is None, y.output_nr, z.output_nr)
    z.sum().backward()
    return before + (y.grad, z.grad is None)


def _requires_grad(lib, x):
    y = x.clone()
    r = y.requires_grad_()
    out = (r is y, y.requires_grad, (y * 2).requires_grad, y.requires_grad_(False).requires_grad)
    y.requires_grad = True
    ints = lib.zeros(2, dtype=lib.int64)
    return out + (y.requires_grad, _exc(lambda: ints.requires_grad_()))


def _retain_grad(lib, x):
    y = _leaf(x)
    z = y.exp()
    z.retain_grad()
    (z * z).sum().backward()
    return z.grad, z.retains_grad, y.retains_grad, (y * 2).retains_grad


def _hook(lib, x):
    y = _leaf(x)
    h = y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    h.remove()
    (y * y).sum().backward()  # the removed hook no longer doubles
    z = _leaf(x)
    z.register_hook(lambda g: None)  # None keeps the gradient
    (z * 3).sum().backward()
    return y.grad, z.grad


def _post_hook(lib, x):
    y, seen = _leaf(x), []
    y.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (y * y).sum().backward()
    (y * 2).sum().backward()
    return len(seen), seen[0], seen[1]


ROWS += [
    OpRow("backward", lambda t: [S(t((3,))), S(t((3,)), t((3,))), S(t(()))], op=_backward, grad=False,
          errors=lambda t: [S(t((3,)), t((2,)))]),
    OpRow("grad", lambda t: [S(t((2, 3)))], op=_grad_attrs, grad=False, note="grad, grad_fn, is_leaf, output_nr"),
    OpRow("requires_grad_", lambda t: [S(t((2, 3)))], op=_requires_grad, grad=False),
    OpRow("retain_grad", lambda t: [S(t((2, 3)))], op=_retain_grad, grad=False),
    OpRow("register_hook", lambda t: [S(t((2, 3)))], op=_hook, grad=False),
    OpRow("register_post_accumulate_grad_hook", lambda t: [S(t((2, 3)))], op=_post_hook, grad=False),
]
