"""sum/prod/cumsum/cumprod keep the integer dtype asked for (NumPy would widen int32 and smaller to int64)."""
import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")

CALLS = {
    "sum": lambda lib, t, d: lib.sum(t, dtype=d),
    "sum_dim": lambda lib, t, d: t.sum(1, dtype=d),
    "prod": lambda lib, t, d: lib.prod(t, dtype=d),
    "cumsum": lambda lib, t, d: t.cumsum(0, dtype=d),
    "cumprod": lambda lib, t, d: lib.cumprod(t, 1, dtype=d),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("src, dst", [("int32", "int32"), ("int32", "int16"), ("uint8", "int32"), ("int64", None),
                                      ("int16", None), ("bool", None), ("float32", "float64")])
def test_reduction_dtype_as_pytorch(call, src, dst):
    x = np.random.default_rng(0).integers(0, 3, (3, 4)).astype(src)
    want = CALLS[call](torch, torch.from_numpy(x), None if dst is None else getattr(torch, dst))
    got = CALLS[call](fastnn, fastnn.from_numpy(x), None if dst is None else getattr(fastnn, dst))
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.numpy(), want.numpy())
