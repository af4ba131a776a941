"""ZINC read from pickles of molecule dicts of PyTorch tensors, written here as the benchmarking-gnns files
are (pickle.dump of PyTorch tensors): the same graphs as PyG's ZINC builds from them; other globals refused."""
import os
import pickle

import numpy as np
import pytest

from fastnn.geometric.datasets import ZINC

torch = pytest.importorskip("torch")


def _molecules(rng, count):
    out = []
    for _ in range(count):
        n = int(rng.integers(3, 8))
        bonds = np.triu(rng.integers(0, 4, (n, n)) * (rng.random((n, n)) < 0.4), 1)
        out.append({"atom_type": torch.from_numpy(rng.integers(0, 28, n)).to(torch.int8),
                    "bond_type": torch.from_numpy(bonds + bonds.T).to(torch.uint8),
                    "logP_SA_cycle_normalized": torch.tensor([float(rng.standard_normal())])})
    return out


def _write(folder, rng, sizes=(6, 3, 4)):
    folder.mkdir(parents=True)
    for split, count in zip(("train", "val", "test"), sizes):
        with open(folder / f"{split}.pickle", "wb") as f:
            pickle.dump(_molecules(rng, count), f)
        ids = rng.choice(count, count // 2 + 1, replace=False)
        (folder / f"{split}.index").write_text(",".join(str(i) for i in ids) + "\n")


@pytest.mark.parametrize("subset", [False, True])
def test_molecules_match_pyg(tmp_path, subset):
    from torch_geometric.datasets import ZINC as PygZINC
    _write(tmp_path / "raw", np.random.default_rng(5))
    for split in ("train", "val", "test"):
        ours = ZINC(tmp_path, subset=subset, split=split)
        theirs = PygZINC(str(tmp_path), subset=subset, split=split)
        assert len(ours) == len(theirs) > 0
        for g, w in zip(ours, theirs):
            for key in ("x", "edge_index", "edge_attr", "y"):
                a, b = g[key].numpy(), w[key].numpy()
                assert a.dtype == b.dtype, key
                np.testing.assert_array_equal(a, b, err_msg=key)


def test_pre_filter_and_folder_layouts(tmp_path):
    _write(tmp_path / "molecules", np.random.default_rng(6))
    every = ZINC(tmp_path, split="val")
    small = ZINC(tmp_path, split="val", pre_filter=lambda d: d.num_nodes <= 5)
    assert len(small) == sum(g.num_nodes <= 5 for g in every) and len(every) == 3


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo hacked",))


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not download"):
        ZINC(tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        ZINC(tmp_path, split="dev")
    with open(tmp_path / "train.pickle", "wb") as f:
        pickle.dump([_Payload()], f)
    with pytest.raises(pickle.UnpicklingError, match="refusing global"):
        ZINC(tmp_path)
    with open(tmp_path / "train.pickle", "wb") as f:
        pickle.dump([{"atom_type": torch.zeros(3), "bond_type": torch.zeros(2, 2),
                      "logP_SA_cycle_normalized": torch.zeros(1)}], f)
    with pytest.raises(ValueError, match="3 atoms but a bond matrix"):
        ZINC(tmp_path)
    with open(tmp_path / "train.pickle", "wb") as f:
        pickle.dump(_molecules(np.random.default_rng(0), 2), f)
    (tmp_path / "train.index").write_text("0,7\n")
    with pytest.raises(IndexError, match="outside"):
        ZINC(tmp_path, subset=True)
