"""PyTorch's device idioms on a CPU-only library: accelerator, backends modules, autocast, GradScaler, compile, jit."""
import importlib
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn

torch = pytest.importorskip("torch")


def test_accelerator_answers_as_pytorch_without_one():
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(fastnn.accelerator, name)() == getattr(torch.accelerator, name)()
    with pytest.raises(RuntimeError):
        torch.accelerator.current_device_index()
    with pytest.raises(RuntimeError, match="accelerator"):
        fastnn.accelerator.current_device_index()
    # the examples' idiom picks the CPU
    dev = fastnn.accelerator.current_accelerator() if fastnn.accelerator.is_available() else fastnn.device("cpu")
    assert fastnn.ones(2).to(dev).device == fastnn.device("cpu")


@pytest.mark.parametrize("path", ["backends.cudnn", "backends.cuda", "backends.mps", "backends.cpu", "backends.mkldnn",
                                  "backends.openmp", "backends.mkl", "cuda.amp", "cpu.amp", "amp", "jit", "accelerator"])
def test_module_paths_import_like_pytorch(path):
    mine = importlib.import_module("fastnn." + path)
    importlib.import_module("torch." + path)
    assert mine is not None


def test_backend_flags_match_pytorch_on_a_cpu_machine():
    import fastnn.backends.cudnn as cudnn
    for flag in ("enabled", "benchmark", "deterministic"):
        assert getattr(cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert cudnn.is_available() == torch.backends.cudnn.is_available()
    assert fastnn.backends.mps.is_available() == torch.backends.mps.is_available()
    assert fastnn.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    cudnn.benchmark = True                       # scripts set it; it sticks and changes nothing
    try:
        assert fastnn.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
    assert fastnn.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    assert fastnn.backends.openmp.is_available() in (True, False)


def test_autocast_cpu_runs_float32_and_says_so_once():
    fastnn.amp.autocast_mode._state["warned_cpu"] = False
    lin = nn.Linear(4, 3)
    x = fastnn.randn(2, 4)
    expected = lin(x).detach().numpy()
    with pytest.warns(UserWarning, match="float32"):
        with fastnn.autocast("cpu"):
            assert fastnn.amp.autocast_mode.is_autocast_enabled()
            out = lin(x)
    assert out.dtype == fastnn.float32
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    assert not fastnn.amp.autocast_mode.is_autocast_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fastnn.autocast(device_type="cpu", dtype=fastnn.float32):   # second time: no warning
            lin(x)


def test_autocast_cuda_disables_itself_as_pytorch_does():
    with pytest.warns(UserWarning, match="Disabling autocast"):
        ctx = fastnn.amp.autocast("cuda")
    with ctx:
        assert not fastnn.amp.autocast_mode.is_autocast_enabled()

    @fastnn.autocast("cpu", enabled=False)
    def f(a):
        return a * 2
    assert f(fastnn.ones(1)).item() == 2
    with pytest.raises(ValueError, match="device_type"):
        fastnn.autocast(0)


def _scaler_run(lib, grads_per_step, **kw):
    """Steps a one-parameter SGD through a GradScaler; returns the scale and the parameter after each step."""
    p = lib.nn.Parameter(lib.tensor(np.ones(3, np.float32)))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = (fastnn.amp if lib is fastnn else torch.amp).GradScaler("cpu", **kw)
    out = []
    for g in grads_per_step:
        opt.zero_grad()
        loss = (p * lib.tensor(np.asarray(g, np.float32))).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        out.append((scaler.get_scale(), p.detach().numpy().copy()))
    return out


def test_grad_scaler_matches_pytorch_cpu():
    grads = [[1, 2, 3], [np.inf, 1, 1], [0.5, 0.5, 0.5], [1, 1, 1], [1, 1, 1], [np.nan, 0, 0], [2, 2, 2]]
    kw = dict(init_scale=1024.0, growth_interval=2)
    for (s1, p1), (s2, p2) in zip(_scaler_run(fastnn, grads, **kw), _scaler_run(torch, grads, **kw)):
        assert s1 == pytest.approx(float(s2))
        np.testing.assert_allclose(p1, p2, rtol=1e-6)


def test_grad_scaler_unscale_and_state():
    p = nn.Parameter(fastnn.ones(2))
    opt = fastnn.optim.SGD([p], lr=0.1)
    scaler = fastnn.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale((p * 3).sum()).backward()
    assert p.grad.numpy().tolist() == [24.0, 24.0]
    scaler.unscale_(opt)
    assert p.grad.numpy().tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    restored = fastnn.amp.GradScaler("cpu")
    restored.load_state_dict(scaler.state_dict())
    assert restored.get_scale() == scaler.get_scale() == 8.0
    with pytest.raises(ValueError):
        fastnn.amp.GradScaler(growth_factor=0.5)


def test_cuda_grad_scaler_disables_itself_and_passes_through():
    with pytest.warns(UserWarning, match="Disabling"):
        scaler = fastnn.amp.GradScaler()
    from fastnn.cuda.amp import GradScaler
    with pytest.warns(UserWarning):
        GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    loss = fastnn.tensor(2.0)
    assert scaler.scale(loss) is loss
    assert scaler.state_dict() == {}


def test_compile_and_jit_run_eagerly():
    model = nn.Linear(2, 2)
    assert fastnn.compile(model) is model
    assert fastnn.compile(mode="max-autotune")(model) is model
    with pytest.raises(RuntimeError):
        fastnn.compile(model, mode="fastest")
    assert fastnn.jit.script(model) is model
    assert fastnn.jit.trace(model, fastnn.ones(1, 2)) is model
    assert not fastnn.jit.is_scripting()
    with pytest.raises(NotImplementedError, match="state_dict"):
        fastnn.jit.save(model, "m.pt")

    @fastnn.jit.ignore
    def helper():
        return 1
    assert helper() == 1


def test_torch_cpu_namespace():
    assert fastnn.cpu.is_available() == torch.cpu.is_available()
    assert fastnn.cpu.device_count() == torch.cpu.device_count()
    with pytest.raises(RuntimeError):
        fastnn.cuda.current_device()
