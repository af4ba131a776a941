"""Module.parameters() walks the modules without building names: the same parameters, in named_parameters()'s
order and deduplication, for nested, shared and tied modules, and a subclass's own traversal still decides."""
import fastnn
from fastnn import nn


def _same(model, recurse=True):
    want = [p for _, p in model.named_parameters(recurse=recurse)]
    got = list(model.parameters(recurse=recurse))
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
    return got


def test_nested_shared_and_tied():
    shared = nn.Linear(3, 3)
    inner = nn.Sequential(nn.Linear(2, 3), shared, nn.ReLU(), nn.Sequential(shared, nn.Linear(3, 1)))
    model = nn.Sequential(nn.Linear(4, 2), inner, shared, nn.ModuleDict({"a": nn.Linear(1, 1), "b": inner}))
    tied = nn.Linear(4, 4)
    model.add_module("tied", tied)
    model.add_module("twin", nn.Linear(4, 4))
    model.twin.weight = tied.weight
    model.add_module("none", None)
    params = _same(model)
    assert len(params) == len({id(p) for p in params})
    _same(model, recurse=False)
    _same(inner)


def test_a_subclass_traversal_is_kept():
    class OnlyFirst(nn.Sequential):
        def named_modules(self, memo=None, prefix="", remove_duplicate=True):
            yield prefix, self
            yield "0", self[0]

    model = nn.Sequential(nn.Linear(2, 2), OnlyFirst(nn.Linear(2, 3), nn.Linear(3, 1)))
    got = _same(model)
    assert len(got) == 4  # the subclass hides its second layer from named_modules, so from parameters too

    class Renamed(nn.Linear):
        def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
            yield "w", self.weight

    layer = Renamed(2, 2)
    assert list(layer.parameters()) == [layer.weight]


def test_optimizer_and_clipping_see_every_parameter():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    model(fastnn.randn(5, 4)).sum().backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.01)
    assert all(float(p.grad.abs().max()) <= 0.01 for p in model.parameters())
