"""MNISTSuperpixels read from the file PyG's download unpacks (a PyTorch-saved pair of lists of dicts),
written here by PyTorch itself: the same graphs as PyG's dataset reads from it."""
import pickle

import numpy as np
import pytest

from fastnn.geometric.datasets import MNISTSuperpixels

torch = pytest.importorskip("torch")


def _graphs(rng, count):
    out = []
    for _ in range(count):
        n, e = int(rng.integers(4, 9)), int(rng.integers(6, 20))
        out.append({"x": torch.from_numpy(rng.random((n, 1), dtype=np.float32)),
                    "edge_index": torch.from_numpy(rng.integers(0, n, (2, e))),
                    "pos": torch.from_numpy(rng.random((n, 2), dtype=np.float32) * 28),
                    "y": torch.tensor([int(rng.integers(0, 10))])})
    return out


@pytest.mark.parametrize("zipfile", [True, False])
def test_graphs_match_pyg(tmp_path, zipfile):
    from torch_geometric.datasets import MNISTSuperpixels as PygMNISTSuperpixels
    rng = np.random.default_rng(3)
    (tmp_path / "raw").mkdir()
    torch.save([_graphs(rng, 5), _graphs(rng, 3)], tmp_path / "raw" / "MNISTSuperpixels.pt",
               _use_new_zipfile_serialization=zipfile)
    for train, count in ((True, 5), (False, 3)):
        ours = MNISTSuperpixels(tmp_path, train=train)
        theirs = PygMNISTSuperpixels(str(tmp_path), train=train)
        assert len(ours) == len(theirs) == count
        for g, w in zip(ours, theirs):
            assert sorted(k for k, _ in g) == sorted(w.keys()) and g.num_nodes == w.num_nodes
            for key in ("x", "edge_index", "pos", "y"):
                np.testing.assert_array_equal(g[key].numpy(), w[key].numpy(), err_msg=key)


def test_transform_and_filter_apply(tmp_path):
    rng = np.random.default_rng(4)
    graphs = _graphs(rng, 6)
    torch.save([graphs, []], tmp_path / "MNISTSuperpixels.pt")
    keep = MNISTSuperpixels(tmp_path, pre_filter=lambda d: int(d.y.item()) % 2 == 0)
    assert len(keep) == sum(int(g["y"]) % 2 == 0 for g in graphs)

    def shift(data):
        data.pos = data.pos + 1
        return data
    shifted = MNISTSuperpixels(tmp_path, transform=shift)
    np.testing.assert_allclose(shifted[0].pos.numpy(), graphs[0]["pos"].numpy() + 1)
    assert len(MNISTSuperpixels(tmp_path, train=False)) == 0


class _NotATensor:
    pass


def test_missing_or_hostile_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not download"):
        MNISTSuperpixels(tmp_path)
    with open(tmp_path / "MNISTSuperpixels.pt", "wb") as f:
        pickle.dump([[{"x": _NotATensor()}], []], f)
    with pytest.raises(Exception) as err:
        MNISTSuperpixels(tmp_path)
    assert not isinstance(err.value, FileNotFoundError)
    torch.save([[1, 2]], tmp_path / "MNISTSuperpixels.pt")
    with pytest.raises(ValueError, match="pair"):
        MNISTSuperpixels(tmp_path)
    torch.save([[1, 2], []], tmp_path / "MNISTSuperpixels.pt")
    with pytest.raises(ValueError, match="not a dict"):
        MNISTSuperpixels(tmp_path)
