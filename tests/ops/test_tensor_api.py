"""Tensor API that is not a computation, checked against PyTorch: in-place semantics in and out of the
graph, formatting, legacy constructors, factories' overloads, dtypes and promotion, sparse COO."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")


def _both(fn):
    return fn(fastnn), fn(torch)


def _same(a, b, rtol=1e-6):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype) == str(b.dtype).replace("torch.", "")
    np.testing.assert_allclose(np.asarray(a.detach().numpy(), np.float64), b.detach().double().numpy(), rtol=rtol)


# ---------------------------------------------------------------- in place
@pytest.mark.parametrize("chain", [
    lambda x: x.relu_(),
    lambda x: x.add_(1.5).mul_(2).clamp_(-1, 3),
    lambda x: x.sub_(0.5, alpha=2).div_(3).sigmoid_(),
    lambda x: x.mul_(0.5).abs_().add_(1).sqrt_(),
    lambda x: x.t_().unsqueeze_(0).squeeze_(0),
    lambda x: x.masked_fill_(x > 0.2, 0.0).exp_(),
])
def test_inplace_in_the_graph_matches_pytorch(chain):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 4))

    def run(lib):
        leaf = lib.tensor(w, requires_grad=True)
        h = leaf * 1.0
        out = chain(h)
        (out * out).sum().backward()
        return out, leaf.grad
    (fo, fg), (to, tg) = _both(run)
    _same(fo, to)
    _same(fg, tg)


def test_inplace_outside_the_graph_writes_through_views():
    for lib in (fastnn, torch):
        x = lib.zeros(2, 3)
        v = x[0]
        v.add_(2).relu_()
        x[1].fill_(-1).abs_()
        assert x.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


def test_inplace_refusals_match_pytorch_classes():
    for lib in (fastnn, torch):
        leaf = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError):
            leaf.add_(1)  # a leaf that requires grad
        with pytest.raises(RuntimeError):
            lib.ones(3, dtype=lib.int64).add_(0.5)  # float result into an int tensor
        with pytest.raises(RuntimeError):
            lib.ones(3).add_(lib.ones(2, 3))  # the result would not fit self


def test_census_inplace_methods_exist_and_work():
    for name in ["add_", "mul_", "sub_", "div_", "clamp_", "zero_", "fill_", "copy_", "uniform_", "normal_",
                 "relu_", "sigmoid_", "tanh_", "exp_", "pow_", "masked_fill_", "scatter_", "index_add_",
                 "tril_", "triu_", "resize_", "fill_diagonal_"]:
        assert callable(getattr(fastnn.Tensor, name)), name
    x = fastnn.ones(2, 3)
    x.zero_().add_(fastnn.arange(3).float()).mul_(2)
    assert x.tolist() == [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0]]
    x.uniform_(2, 3)
    assert ((x >= 2) & (x < 3)).all()


# ---------------------------------------------------------------- formatting, legacy constructors
@pytest.mark.parametrize("value,spec", [(1.23456, ".4f"), (3.0, ".2e"), (7, "d"), (7, "5d"), (2.5, ""), (True, "")])
def test_format_of_0d_tensor(value, spec):
    f, t = _both(lambda lib: lib.tensor(value))
    assert format(f, spec) == format(t, spec)


def test_format_of_nd_tensor_refuses_a_spec_as_pytorch():
    f, t = _both(lambda lib: lib.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        format(t, ".2f")
    with pytest.raises(TypeError):
        format(f, ".2f")
    assert format(f, "") == str(f)


@pytest.mark.parametrize("name,args", [
    ("LongTensor", ([1, 2, 3],)), ("FloatTensor", ([1.5, 2],)), ("DoubleTensor", ([1, 2],)),
    ("BoolTensor", ([True, False],)), ("ByteTensor", ([1, 255],)), ("FloatTensor", (2, 3)), ("LongTensor", (4,)),
    ("IntTensor", ([1, 2],)),
])
def test_legacy_constructors(name, args):
    f, t = _both(lambda lib: getattr(lib, name)(*args))
    assert tuple(f.shape) == tuple(t.shape)
    assert str(f.dtype) == str(t.dtype).replace("torch.", "")
    if isinstance(args[0], list):
        assert f.tolist() == t.tolist()
    assert isinstance(f, getattr(fastnn, name))
    assert not isinstance(f, fastnn.BoolTensor if name != "BoolTensor" else fastnn.LongTensor)


def test_randint_overloads():
    fastnn.manual_seed(0)
    a = fastnn.randint(10, (50,))
    b = fastnn.randint(5, 8, (3, 4))
    c = fastnn.randint(3, size=(2,))
    d = fastnn.randint(low=2, high=4, size=(6,))
    assert a.shape == (50,) and a.dtype == fastnn.int64 and 0 <= int(a.min()) and int(a.max()) < 10
    assert b.shape == (3, 4) and 5 <= int(b.min()) and int(b.max()) < 8
    assert c.shape == (2,) and d.shape == (6,) and int(d.min()) >= 2
    with pytest.raises(TypeError):
        fastnn.randint(5, (2,), bogus=1)


def test_new_factories_pin_memory_resize():
    x = fastnn.ones(2, 3, dtype=fastnn.float64)
    assert x.new_zeros(4).dtype == fastnn.float64 and x.new_ones((2, 2)).sum().item() == 4
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_empty(3).shape == (3,)
    p = x.pin_memory()
    assert not x.is_pinned() and p is not x and p.tolist() == x.tolist()
    f, t = _both(lambda lib: lib.arange(6).float().resize_(2, 2))
    _same(f, t)
    f, t = _both(lambda lib: lib.arange(6).float().narrow(0, 2, 3))
    _same(f, t)


# ---------------------------------------------------------------- dtypes and promotion
def test_uint8_from_numpy_and_promotion():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    f, t = fastnn.from_numpy(img), torch.from_numpy(img)
    assert f.dtype == fastnn.uint8
    for op in (lambda x: x + fastnn.tensor(1) if x.__class__ is fastnn.Tensor else x + torch.tensor(1),
               lambda x: x / 255, lambda x: x.float() / 255, lambda x: x * 2, lambda x: x // 3, lambda x: x.sum(),
               lambda x: x.long() + 1, lambda x: x > 5, lambda x: x.to(fastnn.float32 if isinstance(
                   x, fastnn.Tensor) else torch.float32).mean()):
        _same(op(f), op(t))


@pytest.mark.parametrize("a,b", [("uint8", "int8"), ("int8", "int64"), ("int32", "float32"), ("float16", "float32"),
                                 ("bool", "uint8"), ("int16", "int32"), ("bool", "float64")])
def test_promote_types(a, b):
    assert str(fastnn.promote_types(getattr(fastnn, a), getattr(fastnn, b))) == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")


def test_result_type_and_info():
    f, t = _both(lambda lib: lib.result_type(lib.tensor([1, 2], dtype=lib.int32), 2.5))
    assert str(f) == str(t).replace("torch.", "")
    for d in ("float32", "float64", "float16"):
        assert fastnn.finfo(getattr(fastnn, d)).eps == torch.finfo(getattr(torch, d)).eps
        assert fastnn.finfo(getattr(fastnn, d)).max == torch.finfo(getattr(torch, d)).max
    for d in ("int8", "uint8", "int32", "int64"):
        assert fastnn.iinfo(getattr(fastnn, d)).max == torch.iinfo(getattr(torch, d)).max
    assert fastnn.is_floating_point(fastnn.ones(1)) and not fastnn.is_floating_point(fastnn.ones(1).long())


def test_default_dtype():
    assert fastnn.get_default_dtype() == fastnn.float32
    try:
        fastnn.set_default_dtype(fastnn.float64)
        assert fastnn.tensor([1.5]).dtype == fastnn.float64 and fastnn.zeros(2).dtype == fastnn.float64
        assert (fastnn.ones(2, dtype=fastnn.int64) / 2).dtype == fastnn.float64
    finally:
        fastnn.set_default_dtype(fastnn.float32)
    with pytest.raises(TypeError):
        fastnn.set_default_dtype(fastnn.int64)


def test_half_conversion():
    f, t = _both(lambda lib: lib.tensor([1.0, 2.5, 3.25]).half() * 2)
    _same(f, t)


# ---------------------------------------------------------------- sparse COO
def test_sparse_coo_spmm_and_gradients_match_pytorch():
    rng = np.random.default_rng(0)
    idx = np.array([[0, 1, 1, 3, 2], [1, 0, 2, 3, 1]])
    vals = rng.standard_normal(5)
    dense = rng.standard_normal((4, 3))

    def run(lib):
        v = lib.tensor(vals, requires_grad=True)
        x = lib.tensor(dense, requires_grad=True)
        a = lib.sparse_coo_tensor(lib.tensor(idx), v, (4, 4))
        y = lib.spmm(a, x)
        (y * y).sum().backward()
        return y, x.grad, v.grad, a.to_dense()
    fout, tout = _both(run)
    for a, b in zip(fout, tout):
        _same(a, b)


def test_to_sparse_round_trip():
    d = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    f, t = _both(lambda lib: lib.tensor(d).to_sparse())
    assert f._nnz() == t._nnz()
    _same(f.indices(), t.coalesce().indices())
    _same(f.values(), t.coalesce().values())
    _same(f.to_dense(), t.to_dense())
    x = np.ones((3, 2))
    _same(fastnn.spmm(f, fastnn.tensor(x)), torch.spmm(t, torch.tensor(x)))


def test_bfloat16_conversion_and_arithmetic():
    pytest.importorskip("ml_dtypes")
    f, t = _both(lambda lib: (lib.tensor([1.0, 2.5, -3.25]).bfloat16() * 2).float())
    _same(f, t)
    f, t = _both(lambda lib: lib.tensor([1.0, 2.5]).bfloat16() + lib.tensor([1.0, 1.0]))
    assert str(f.dtype) == str(t.dtype).replace("torch.", "") == "float32"
    _same(f, t)
    assert fastnn.promote_types(fastnn.bfloat16, fastnn.float16) == fastnn.float32
    assert fastnn.finfo(fastnn.bfloat16).eps == torch.finfo(torch.bfloat16).eps


# ---------------------------------------------------------------- small Tensor methods
def test_memory_and_metadata_methods_match_pytorch():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    f, t = fastnn.from_numpy(a), torch.from_numpy(a)
    ft, tt = f.t(), t.t()
    assert ft.stride() == tt.stride() and f.stride(1) == t.stride(1)
    assert f.storage_offset() == t.storage_offset() == 0
    assert f.get_device() == t.get_device() == -1
    assert f.data_ptr() == a.__array_interface__["data"][0]
    assert f.itemsize == t.itemsize and f.nbytes == t.nbytes and f.ndimension() == t.ndimension()
    assert f.is_cpu and not f.is_meta and not f.is_sparse and str(f.layout) == str(t.layout)
    assert f.is_shared() == t.is_shared() and f.share_memory_() is f
    assert f.is_inference() == t.is_inference()
    assert fastnn.tensor([2.0]).is_nonzero() == torch.tensor([2.0]).is_nonzero()
    with pytest.raises(RuntimeError):
        fastnn.ones(2).is_nonzero()
    _same(f.H, t.H)
    _same(f.to_dense(), t.to_dense())


def test_retains_grad():
    for lib in (fastnn, torch):
        x = lib.ones(2, requires_grad=True)
        h = x * 2
        assert h.retains_grad is False
        h.retain_grad()
        assert h.retains_grad is True


def test_index_put_fill_diagonal_apply_map():
    def run(lib):
        x = lib.zeros(3, 3)
        x.index_put_((lib.tensor([0, 2]), lib.tensor([1, 1])), lib.tensor([5.0, 6.0]))
        x.index_put_((lib.tensor([0, 0]), lib.tensor([0, 0])), lib.tensor([1.0, 1.0]), accumulate=True)
        x.fill_diagonal_(-1.0)
        x.apply_(lambda v: v * 2)
        x.map_(lib.ones(3, 3), lambda a, b: a + b)
        return x
    f, t = _both(run)
    _same(f, t)


@pytest.mark.parametrize("method,args,check", [
    ("exponential_", (2.0,), lambda x: (x >= 0).all() and abs(x.mean().item() - 0.5) < 0.05),
    ("bernoulli_", (0.3,), lambda x: set(x.unique().tolist()) <= {0.0, 1.0} and abs(x.mean().item() - 0.3) < 0.05),
    ("random_", (0, 5), lambda x: x.min().item() >= 0 and x.max().item() <= 4),
    ("geometric_", (0.5,), lambda x: x.min().item() >= 1 and abs(x.mean().item() - 2.0) < 0.15),
    ("log_normal_", (0.0, 0.5), lambda x: (x > 0).all() and abs(x.log().mean().item()) < 0.05),
    ("cauchy_", (0.0, 1.0), lambda x: abs(x.median().item()) < 0.1),
])
def test_random_fill_methods(method, args, check):
    fastnn.manual_seed(0)
    x = fastnn.empty(5000)
    assert getattr(x, method)(*args) is x
    assert check(x), method
    assert hasattr(torch.Tensor, method)


def test_multinomial_and_bernoulli_methods():
    fastnn.manual_seed(0)
    p = fastnn.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    s = p.multinomial(4, replacement=True)
    assert s.shape == (2, 4) and (s[0] == 1).all() and set(s[1].tolist()) <= {0, 2}
    b = fastnn.full((1000,), 0.25).bernoulli()
    assert abs(b.mean().item() - 0.25) < 0.05
    assert fastnn.ones(2).new_empty_strided((2, 3), (3, 1)).shape == (2, 3)


def test_register_hook_on_leaf_and_intermediate_matches_pytorch():
    w = np.array([1.0, -2.0, 3.0])

    def run(lib):
        seen = []
        x = lib.tensor(w, requires_grad=True)
        hx = x.register_hook(lambda g: g * 10)  # x is used twice: the hook sees the summed gradient
        h = x * x
        h.register_hook(lambda g: seen.append(g.clone()))
        hh = h.register_hook(lambda g: g + 1)
        (h.sum() + (x * 3).sum()).backward()
        first = x.grad.clone()
        hx.remove()
        hh.remove()
        x.grad = None
        (x * x).sum().backward()
        return first, x.grad, seen[0]
    fo, to = _both(run)
    for a, b in zip(fo, to):
        _same(a, b)
    with pytest.raises(RuntimeError):
        fastnn.ones(2).register_hook(lambda g: g)


def test_torch_level_forms_of_functional_ops():
    import fastnn.nn.functional as F
    present = [n for n in fastnn._FROM_FUNCTIONAL if hasattr(F, n)]
    assert "conv2d" in present and "max_pool2d" in present
    for n in present:
        assert getattr(fastnn, n) is getattr(F, n)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    f, t = _both(lambda lib: lib.conv2d(lib.tensor(x), lib.tensor(w), lib.tensor(b), 1, 1))
    _same(f, t, rtol=1e-5)
    f, t = _both(lambda lib: lib.max_pool2d(lib.tensor(x), 2, 2))
    _same(f, t)
    f, t = _both(lambda lib: lib.layer_norm(lib.tensor(x), (8,), None, None, 1e-5))
    _same(f, t, rtol=1e-5)


def test_process_wide_settings():
    st = fastnn.get_rng_state()
    a = fastnn.rand(3)
    fastnn.set_rng_state(st)
    assert fastnn.rand(3).tolist() == a.tolist()
    try:
        fastnn.set_default_tensor_type(fastnn.DoubleTensor)
        assert fastnn.tensor([1.5]).dtype == fastnn.float64
        fastnn.set_default_tensor_type("torch.FloatTensor")
        assert fastnn.tensor([1.5]).dtype == fastnn.float32
    finally:
        fastnn.set_default_dtype(fastnn.float32)
    with pytest.raises(TypeError):
        fastnn.set_default_tensor_type(fastnn.LongTensor)
    for lib in (fastnn, torch):
        lib.use_deterministic_algorithms(True)
        assert lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(False)
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")
    assert fastnn.set_flush_denormal(True) is False and fastnn.init_num_threads() is None
    assert fastnn.get_device(fastnn.ones(1)) == torch.get_device(torch.ones(1)) == -1
    assert str(fastnn.get_default_device()) == str(torch.get_default_device())


def test_catalogue_does_not_shadow_hand_written_tensor_methods():
    from fastnn.autograd.ops import _declare
    assert _declare.SHADOWED == [], f"declared in the catalogue and in tensor.py: {_declare.SHADOWED}"


def test_diag_of_a_long_vector_is_quadratic_not_cubic_in_memory():
    torch = pytest.importorskip("torch")
    v = np.arange(3000, dtype=np.float32)
    d = fastnn.diag(fastnn.tensor(v, requires_grad=True))     # an (n, n, n) intermediate would be 108 GB
    np.testing.assert_array_equal(d.detach().numpy(), torch.diag(torch.tensor(v)).numpy())
    x = fastnn.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    e = fastnn.diag_embed(x, offset=1, dim1=0, dim2=2)
    t = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    te = torch.diag_embed(t, offset=1, dim1=0, dim2=2)
    np.testing.assert_array_equal(e.detach().numpy(), te.detach().numpy())
    w = np.random.default_rng(0).standard_normal(te.shape)
    (e * fastnn.tensor(w)).sum().backward()
    (te * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_tensor_of_a_list_of_zero_d_elements():
    r = fastnn.tensor([1.5, 2.5])
    t = fastnn.tensor([r[0]])            # actor_critic: torch.tensor([R]) with R an element of a tensor
    assert t.shape == (1,) and t.item() == 1.5


def test_dense_and_sparse_coo_operands_give_dense_results_as_in_pytorch():
    torch = pytest.importorskip("torch")
    idx, val = np.array([[0, 1, 2], [1, 0, 2]]), np.array([1.0, 2.0, 3.0], np.float32)
    mine = fastnn.sparse_coo_tensor(fastnn.tensor(idx), fastnn.tensor(val), (3, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(val), (3, 3))
    d = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal((fastnn.tensor(d) + mine).numpy(), (torch.tensor(d) + theirs).numpy())
    np.testing.assert_allclose((fastnn.tensor(d) @ mine).numpy(), (torch.tensor(d) @ theirs).numpy())
    np.testing.assert_allclose(fastnn.mm(mine, fastnn.tensor(d)).detach().numpy(),
                               torch.mm(theirs, torch.tensor(d)).numpy())
