"""DataPipes against torch.utils.data's: functional forms, registration, determinism and type checks."""
import pytest

import fastnn.utils.data as data

torch = pytest.importorskip("torch")
import torch.utils.data as tdata  # noqa: E402
from torch.utils.data.datapipes.iter import IterableWrapper as TorchWrapper  # noqa: E402


def test_map_filter_batch_pipeline_matches_torch():
    mine = data.datapipes.IterableWrapper(range(10)).map(lambda x: x * 3).filter(lambda x: x % 2 == 0).batch(2)
    theirs = TorchWrapper(range(10)).map(lambda x: x * 3).filter(lambda x: x % 2 == 0).batch(2)
    assert [list(b) for b in mine] == [list(b) for b in theirs]
    assert all(isinstance(b, data.DataChunk) for b in mine)
    assert data.DataChunk([1, 2]).as_str() == tdata.DataChunk([1, 2]).as_str()
    with pytest.raises(ValueError):
        data.datapipes.IterableWrapper([1]).batch(0)


def test_functional_datapipe_registers_a_method():
    @data.functional_datapipe("fastnn_test_double")
    class Double(data.IterDataPipe):
        def __init__(self, source):
            self.source = source

        def __iter__(self):
            for x in self.source:
                yield 2 * x
    assert list(data.datapipes.IterableWrapper([1, 2]).fastnn_test_double()) == [2, 4]
    with pytest.raises(AttributeError):
        data.datapipes.IterableWrapper([1]).no_such_form()
    with pytest.raises(TypeError):
        data.functional_datapipe("x")(int)


@pytest.mark.parametrize("lib", [data, tdata])
def test_non_deterministic_refused_under_guaranteed_determinism(lib):
    @lib.non_deterministic
    class Shuffled(lib.IterDataPipe):
        def __init__(self, source):
            self.source = source

        def __iter__(self):
            yield from self.source
    Shuffled([1])
    with lib.guaranteed_datapipes_determinism():
        with pytest.raises(TypeError):
            Shuffled([1])
    Shuffled([1])   # the guard ends with its block


@pytest.mark.parametrize("lib", [data])   # torch 2.13's typing metaclass no longer sets the checked type here
def test_runtime_validation_checks_items(lib):
    class Ints(lib.IterDataPipe[int]):
        def __init__(self, items):
            self.items = items

        @lib.runtime_validation
        def __iter__(self):
            yield from self.items
    assert list(Ints([1, 2])) == [1, 2]
    with pytest.raises(RuntimeError):
        list(Ints([1, "a"]))
    with lib.runtime_validation_disabled():
        assert list(Ints([1, "a"])) == [1, "a"]


def test_argument_validation():
    class P(data.IterDataPipe):
        @data.argument_validation
        def __init__(self, dp: data.IterDataPipe):
            self.dp = dp
    P(data.datapipes.IterableWrapper([1]))
    with pytest.raises(TypeError, match="dp"):
        P([1, 2])
