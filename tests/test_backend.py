"""The kernel families' one-column layout, and the swappable compiled/reference backend."""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.kernels import backend
from fastnn.models import LeNet, CharLM, MLP

from conftest import cross_entropy_step

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fastnn"


@pytest.mark.parametrize("name", backend.FAMILIES)
def test_every_family_is_one_column(name):
    assert (ROOT / "csrc" / f"{name}.pyx").is_file(), f"csrc/{name}.pyx"
    for folder in ("kernels/reference", "kernels/cases", "autograd/native"):
        assert (PACKAGE / folder / f"{name}.py").is_file(), f"fastnn/{folder}/{name}.py"
    assert name in backend.compiled_modules, f"fastnn.kernels._{name} was not compiled"


def _kernel_imports(path):
    """Imports in `path` that reach kernels: compiled modules, the family handles, kernel names."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            module = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else node.module
            names = [a.name for a in node.names]
            if module.startswith("fastnn.kernels._") or module == "fastnn.kernels" and any(
                    n.startswith("_") or n in fastnn.kernels.kernel_names() for n in names):
                hits.append(f"from {module} import {', '.join(names)}")
            if module == "fastnn.kernels.backend" and "family" in names:
                hits.append(f"from {module} import family")
        elif isinstance(node, ast.Import):
            hits += [a.name for a in node.names if a.name.startswith("fastnn.kernels._")]
    return hits


def test_only_native_bindings_call_kernels():
    allowed = [PACKAGE / "kernels", PACKAGE / "autograd" / "native", PACKAGE / "bench"]
    # the graph family's structure operations have no gradients: no Function, the kernels directly
    structure_kernels = PACKAGE / "graph" / "structure.py"
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if any(folder in path.parents for folder in allowed) or path == structure_kernels:
            continue
        hits = _kernel_imports(path)
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, f"kernels reached outside fastnn/autograd/native: {offenders}"


def test_the_import_checker_sees_a_kernel_import(tmp_path):
    # the rule above must be able to fail: a module importing a compiled kernel is caught
    fake = PACKAGE / "nn" / "_probe_for_test.py"
    try:
        fake.write_text("from ..kernels import _conv\nfrom ..kernels.backend import family\n")
        assert len(_kernel_imports(fake)) == 2
    finally:
        fake.unlink()


def test_set_backend_rejects_unknown_names():
    with pytest.raises(ValueError, match="backend"):
        fastnn.set_backend("cuda")
    assert fastnn.get_backend() == "compiled"


def test_backend_switch_rebinds_every_family():
    handles = {f: backend.family(f) for f in backend.FAMILIES}
    try:
        fastnn.set_backend("reference")
        for f, h in handles.items():
            assert h.__backend__ == "reference"
            assert all(getattr(h, n).__module__.startswith("fastnn.kernels.reference") for n in vars(h)
                       if not n.startswith("__"))
    finally:
        fastnn.set_backend("compiled")
    assert all(h.__backend__ == "compiled" for h in handles.values())


def _train(make_model, make_batch, steps, backend_name):
    """Train a fresh seeded model for a few SGD steps on one backend: losses and final parameters."""
    fastnn.set_backend(backend_name)
    try:
        fastnn.manual_seed(0)
        model = make_model()
        opt = fastnn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for step in range(steps):
            x, y = make_batch(step)
            losses.append(cross_entropy_step(model, opt, x, y).item())
        return losses, [p.detach().numpy().copy() for p in model.parameters()]
    finally:
        fastnn.set_backend("compiled")


def _images(step):
    rng = np.random.default_rng(step)
    return fastnn.tensor(rng.standard_normal((6, 1, 28, 28)).astype(np.float32)), \
        fastnn.tensor(rng.integers(0, 10, 6))


def _chars(step):
    rng = np.random.default_rng(step)
    seq = rng.integers(0, 20, (4, 13))
    return fastnn.tensor(seq[:, :-1]), fastnn.tensor(seq[:, 1:])


def _rows(step):
    rng = np.random.default_rng(step)
    return fastnn.tensor(rng.standard_normal((16, 4)).astype(np.float32)), fastnn.tensor(rng.integers(0, 3, 16))


@pytest.mark.parametrize("make_model,make_batch", [
    (lambda: LeNet(), _images),
    (lambda: CharLM(20, embedding_dim=8, hidden_size=16), _chars),
    (lambda: CharLM(20, embedding_dim=8, hidden_size=16, cell="gru"), _chars),
    (lambda: MLP(4, (16,), 3), _rows),
], ids=["lenet", "char-lstm", "char-gru", "mlp"])
def test_models_train_alike_on_both_backends(make_model, make_batch):
    losses_c, params_c = _train(make_model, make_batch, 4, "compiled")
    losses_r, params_r = _train(make_model, make_batch, 4, "reference")
    assert losses_c[-1] < losses_c[0]
    np.testing.assert_allclose(losses_c, losses_r, rtol=2e-4, atol=2e-5)
    for a, b in zip(params_c, params_r):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-5)


def test_a_family_that_failed_to_compile_runs_on_its_reference(tmp_path):
    # As a build with FASTNN_KERNELS=conv: the other compiled modules cannot be imported.
    script = textwrap.dedent("""
        import sys, warnings, importlib.abc
        class Missing(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name in ("fastnn.kernels._linear", "fastnn.kernels._softmax", "fastnn.kernels._rnn"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Missing())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fastnn
        print("WARNINGS", [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)])
        from fastnn.config import config
        print("FAMILIES", config()["families"])
        import numpy as np
        from fastnn import nn
        from fastnn.models import MLP, CharLM
        fastnn.manual_seed(0)
        rng = np.random.default_rng(0)
        xs = rng.standard_normal((32, 4)).astype(np.float32)
        for model, x, y in [(MLP(4, (16,), 3), xs, np.argmax(xs[:, :3], 1)),
                            (CharLM(10, 8, 16), rng.integers(0, 10, (4, 12)), rng.integers(0, 10, (4, 12)))]:
            opt = fastnn.optim.Adam(model.parameters(), lr=0.02)
            losses = []
            for _ in range(30):
                opt.zero_grad()
                out = model(fastnn.tensor(x))
                out = out[0] if isinstance(out, tuple) else out
                loss = nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), fastnn.tensor(y).reshape(-1))
                loss.backward()
                opt.step()
                losses.append(loss.item())
            print("LOSS", type(model).__name__, losses[0], losses[-1])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    warning = [l for l in lines if l.startswith("WARNINGS")][0]
    assert warning.count("compiled kernels missing") == 1 and "linear" in warning and "conv" not in warning.split("missing")[1]
    families = [l for l in lines if l.startswith("FAMILIES")][0]
    assert "linear: reference" in families and "rnn: reference" in families and "conv: compiled" in families
    for line in (l for l in lines if l.startswith("LOSS")):
        _, name, first, last = line.split()
        assert float(last) < 0.5 * float(first), line
