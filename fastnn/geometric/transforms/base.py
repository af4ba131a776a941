"""BaseTransform and Compose, as in torch_geometric.transforms."""
import copy


class BaseTransform:
    """A callable on Data: `transform(data)` runs forward on a shallow copy, so the input keeps its
    attributes (as PyG's BaseTransform)."""

    def __call__(self, data):
        return self.forward(copy.copy(data))

    def forward(self, data):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Compose(BaseTransform):
    """Compose(transforms): apply each in turn."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {t!r} is not callable")

    def forward(self, data):
        for transform in self.transforms:
            data = transform(data)
        return data

    def __repr__(self):
        inner = ",\n".join(f"  {t}" for t in self.transforms)
        return f"{type(self).__name__}([\n{inner}\n])"
