"""DistributedDataParallel over 1, 2 and 4 processes trains exactly as one process on the same global batch."""
import numpy as np
import pytest

import ddp_recipes
from mpirun import WORKER, mpiexec

RECIPES = (("mlp", False), ("lenet", False), ("lstm", False), ("mlp", True))


@pytest.fixture(scope="module")
def single_process():
    """The oracle: plain training (no DDP, no MPI) on the whole global batch, computed here."""
    return {name + ("_accumulate" if acc else ""): ddp_recipes.parameters(
        ddp_recipes.train(ddp_recipes.build(name), name, accumulate=acc)) for name, acc in RECIPES}


@pytest.mark.parametrize("world", [1, 2, 4])
def test_ddp_matches_single_process(world, single_process, tmp_path):
    code, out, err, _ = mpiexec(world, WORKER, "equal", tmp_path, timeout=90)
    assert code == 0, err
    for tag, want in single_process.items():
        for rank in range(world):
            got = np.load(tmp_path / f"{tag}_rank{rank}.npz")
            assert sorted(got.files) == sorted(want)
            for name, value in want.items():
                np.testing.assert_allclose(got[name], value, rtol=1e-4, atol=2e-6,
                                           err_msg=f"{tag} {name} on rank {rank} of {world}")


def test_training_without_ddp_would_differ(single_process):
    """The check above has teeth: one rank's half of each batch alone gives other parameters."""
    alone = ddp_recipes.parameters(ddp_recipes.train(ddp_recipes.build("mlp"), "mlp", rank=0, world=2))
    assert max(np.abs(alone[k] - single_process["mlp"][k]).max() for k in alone) > 1e-3
