from pathlib import Path

import numpy as np
import pytest

# ../shared/data beside the checkout (real data too large to bundle)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def shared_data(*parts):
    """Path into ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    return path
