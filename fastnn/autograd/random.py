"""Random generators behind rand/randn/init/dropout/shuffling: fastnn.Generator and manual_seed.

A Generator wraps a NumPy Generator (PCG64); `manual_seed` reseeds the default
one and returns it, as PyTorch returns its default generator.
"""
import numpy as np


class Generator:
    __slots__ = ("_rng", "_seed")

    def __init__(self, device="cpu"):
        from ..device import check_cpu
        check_cpu(device)
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (1 << 63)))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self):
        from ..device import CPU
        return CPU

    @property
    def numpy(self):
        """The NumPy Generator that draws the numbers."""
        return self._rng


default_generator = Generator()


def manual_seed(seed):
    """Seed fastnn's default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def generator(gen=None):
    """The NumPy Generator to draw from: `gen`'s (a fastnn or NumPy Generator) or the default one's."""
    if gen is None:
        return default_generator._rng
    if isinstance(gen, Generator):
        return gen._rng
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"generator must be a fastnn.Generator, got {type(gen).__name__}")
