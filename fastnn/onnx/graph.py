"""GraphBuilder: names for traced values, initializers for constants, and node creation."""
import numpy as np

from ..autograd.tensor import Tensor

# The onnx package is imported when an export runs, so fastnn.onnx imports without it (an optional extra).


class GraphBuilder:
    def __init__(self, param_names):
        self.nodes, self.initializers = [], []
        self._names = {}            # id(Tensor) -> value name
        self._traced = set()        # ids of Tensors computed by the graph (inputs and node outputs)
        # Some Functions take a traced Tensor's array rather than the Tensor (Embedding's indices, for one): the
        # arrays of traced Tensors map to their value names too, and are kept alive so their ids stay unique.
        self._array_names, self._arrays = {}, []
        self._param_names = param_names
        self._count = 0

    def fresh(self, hint="v"):
        self._count += 1
        return f"{hint}_{self._count}"

    def bind(self, tensor, name):
        self._names[id(tensor)] = name
        self._traced.add(id(tensor))
        self._array_names[id(tensor._data)] = name
        self._arrays.append(tensor._data)

    def is_traced(self, tensor):
        return id(tensor) in self._traced

    def depends(self, value):
        """True when value (a Tensor, an array, or a list/tuple of them) holds a traced value."""
        if isinstance(value, (list, tuple)):
            return any(self.depends(v) for v in value)
        if isinstance(value, np.ndarray):
            return id(value) in self._array_names
        return isinstance(value, Tensor) and id(value) in self._traced

    def name_of(self, value, like=None):
        """The graph value for a traced Tensor, or an initializer for a parameter, buffer or constant."""
        if hasattr(value, "onnx_name"):
            return value.onnx_name
        if isinstance(value, Tensor):
            name = self._names.get(id(value))
            if name is None:
                name = self._param_names.get(id(value)) or self.fresh("const")
                self.constant(value._data, name)
                self._names[id(value)] = name
            return name
        if isinstance(value, np.ndarray) and id(value) in self._array_names:
            return self._array_names[id(value)]
        arr = np.asarray(value, dtype=like.dtype if like is not None and not isinstance(value, np.ndarray) else None)
        return self.constant(arr)

    def constant(self, array, name=None):
        name = name or self.fresh("const")
        from onnx import numpy_helper
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values):
        return self.constant(np.asarray(values, dtype=np.int64))

    def node(self, op, inputs, n_out=1, **attrs):
        from onnx import helper
        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, **attrs))
        return outs if n_out > 1 else outs[0]


def value_info(name, array, dynamic=None):
    from onnx import helper
    dims = list(array.shape)
    for axis, label in (dynamic or {}).items():
        dims[axis] = label
    elem = helper.np_dtype_to_tensor_dtype(np.asarray(array).dtype)
    return helper.make_tensor_value_info(name, elem, dims)


def onnx_dtype(dtype):
    from onnx import helper
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


