"""PyTorch idioms that scripts use in their first lines run with `import fastnn as torch`."""
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastnn as torch
from fastnn import nn


def test_device_selection_line_runs_and_picks_the_cpu(monkeypatch):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    assert str(device) == "cpu" and repr(device) == "device(type='cpu')"
    x = torch.zeros(2, 3, device=device).to(device)
    assert x.device == device and x.device.type == "cpu" and x.device == "cpu"
    model = nn.Linear(3, 1).to(device)
    assert model(x).shape == (2, 1)
    torch.cuda.manual_seed_all(0)
    assert torch.backends.mps.is_available() is False
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)   # the script's line; restored after the test


def test_devices_parse_as_in_pytorch_and_non_cpu_targets_are_refused():
    assert torch.device("cuda:1").index == 1 and str(torch.device("cuda", 0)) == "cuda:0"
    with pytest.raises(RuntimeError, match="device type"):
        torch.device("gpu")
    with pytest.raises(ValueError, match="CPU only.*cuda"):
        torch.zeros(2).to("cuda")
    with pytest.raises(ValueError, match="CPU only"):
        torch.tensor([1.0], device=torch.device("cuda"))
    with pytest.raises(ValueError, match="CPU only"):
        nn.Linear(2, 2).to(device="cuda:0")


def test_legacy_tensor_constructor():
    t = torch.Tensor(3, 4)
    assert t.shape == (3, 4) and t.dtype == torch.float32
    assert torch.Tensor().shape == (0,)
    data = torch.Tensor([1, 2])
    assert data.dtype == torch.float32 and data.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="integer sizes"):
        torch.Tensor([1], [2])


def test_manual_seed_returns_a_generator_that_reproduces_draws():
    g = torch.manual_seed(7)
    assert isinstance(g, torch.Generator) and g.initial_seed() == 7
    a = torch.rand(3)
    torch.manual_seed(7)
    np.testing.assert_array_equal(a.numpy(), torch.rand(3).numpy())
    own = torch.Generator().manual_seed(1)
    state = own.get_state()
    first = list(torch.utils.data.DataLoader(range(8), batch_size=8, shuffle=True, generator=own))[0]
    own.set_state(state)
    again = list(torch.utils.data.DataLoader(range(8), batch_size=8, shuffle=True, generator=own))[0]
    assert first.tolist() == again.tolist() and sorted(first.tolist()) == list(range(8))


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss()])
def test_elementwise_losses_warn_when_the_target_broadcasts(loss):
    x = torch.zeros(4, 1, requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        loss(x, torch.zeros(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(x, torch.zeros(4, 1))


def test_a_whole_module_saves_and_loads_with_safe_globals(tmp_path):
    # PyTorch >= 2.6: torch.load is weights_only by default; a whole model needs its classes allow-listed
    model = nn.Linear(2, 2)
    torch.save(model, tmp_path / "m.pt")
    with pytest.raises(torch.serialization.UnsafeCheckpointError, match="Linear.*safe_globals"):
        torch.load(tmp_path / "m.pt")
    with torch.serialization.safe_globals([nn.Linear]):
        back = torch.load(tmp_path / "m.pt")
    assert type(back) is nn.Linear and torch.equal(back.weight, model.weight) and torch.equal(back.bias, model.bias)


def test_checkpoint_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "ckpt.safetensors"
        torch.save({"w": torch.ones(2)}, path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
        os.chmod(path, 0o600)
        torch.save({"w": torch.ones(3)}, path)  # replacing a file keeps its mode
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        os.umask(old)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "fastnn", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_cli_version_and_missing_data_folder(tmp_path):
    out = _cli("--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"fastnn {torch.__version__}"
    out = _cli("zoo", "lenet", "--quick", "--data", str(tmp_path / "absent"), cwd=tmp_path)
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_zoo_says_when_the_data_folder_has_no_mnist(tmp_path, capsys):
    from fastnn.zoo.images import load_images
    *_, name = load_images(str(tmp_path), quick=True)
    assert "8x8" in name and "no MNIST IDX files" in capsys.readouterr().err


def test_training_curve_plots_show_a_held_out_metric_per_whole_epoch(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from fastnn.zoo.plots import plot_curves
    captured = {}
    original = plt.Figure.savefig

    def keep(fig, *args, **kwargs):
        captured["fig"] = fig
        return original(fig, *args, **kwargs)
    plt.Figure.savefig = keep
    try:
        plot_curves(tmp_path / "c.png", {"train NLL": [2.0, 1.0, 0.5]}, "t", held_out={"test accuracy": [0.5, 0.8, 0.9]})
    finally:
        plt.Figure.savefig = original
    left, right = captured["fig"].axes
    assert right.get_ylabel() == "test accuracy" and list(right.lines[0].get_ydata()) == [0.5, 0.8, 0.9]
    assert all(float(t).is_integer() for t in left.get_xticks())
    assert (tmp_path / "c.png").stat().st_size > 0
