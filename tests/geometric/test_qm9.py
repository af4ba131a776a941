"""QM9 from PyG's pre-processed qm9_v3.pt (a PyTorch-saved list of molecule dicts), written here by PyTorch:
the same molecules, mean and std as PyG's QM9 reads from it (PyG takes that route without RDKit)."""
import sys

import numpy as np
import pytest

from fastnn.geometric.datasets import QM9

torch = pytest.importorskip("torch")


def _molecules(rng, count):
    out = []
    for i in range(count):
        n, e = int(rng.integers(3, 9)), int(rng.integers(2, 12))
        out.append({"x": torch.from_numpy(rng.random((n, 11), dtype=np.float32)),
                    "edge_index": torch.from_numpy(rng.integers(0, n, (2, e))),
                    "edge_attr": torch.from_numpy(rng.random((e, 4), dtype=np.float32)),
                    "y": torch.from_numpy(rng.standard_normal((1, 19), dtype=np.float32)),
                    "pos": torch.from_numpy(rng.standard_normal((n, 3), dtype=np.float32)),
                    "z": torch.from_numpy(rng.integers(1, 10, n)), "name": f"gdb_{i + 1}", "idx": torch.tensor([i])})
    return out


def test_molecules_and_target_statistics_match_pyg(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rdkit", None)  # PyG reads qm9_v3.pt only without RDKit
    from torch_geometric.datasets import QM9 as PygQM9
    (tmp_path / "raw").mkdir()
    torch.save(_molecules(np.random.default_rng(7), 6), tmp_path / "raw" / "qm9_v3.pt")
    ours, theirs = QM9(tmp_path), PygQM9(str(tmp_path))
    assert len(ours) == len(theirs) == 6
    for g, w in zip(ours, theirs):
        assert g.name == w.name
        for key in ("x", "edge_index", "edge_attr", "y", "pos", "z", "idx"):
            np.testing.assert_array_equal(g[key].numpy(), w[key].numpy(), err_msg=key)
    for target in (0, 7, 18):
        assert ours.mean(target) == pytest.approx(theirs.mean(target), rel=1e-6)
        assert ours.std(target) == pytest.approx(theirs.std(target), rel=1e-6)
    with pytest.raises(IndexError, match="target"):
        ours.mean(19)


def test_filter_and_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not download"):
        QM9(tmp_path)
    molecules = _molecules(np.random.default_rng(8), 5)
    torch.save(molecules, tmp_path / "qm9_v3.pt")
    kept = QM9(tmp_path, pre_filter=lambda d: d.num_nodes > 4)
    assert len(kept) == sum(m["x"].shape[0] > 4 for m in molecules)
    torch.save({"not": "a list"}, tmp_path / "qm9_v3.pt")
    with pytest.raises(ValueError, match="list of molecule dicts"):
        QM9(tmp_path)
