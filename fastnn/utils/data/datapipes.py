"""DataPipes (torch.utils.data's composable iterable/map datasets, deprecated in PyTorch but still imported by
older code): IterDataPipe and MapDataPipe with functional forms registered by name (`pipe.map(fn)`), DataChunk,
and the decorators for determinism and argument/runtime type checks."""
import functools
import inspect
import typing

from .dataset import Dataset, IterableDataset

_state = {"deterministic_only": False, "runtime_checks": True}


class _Functional:
    """Functional forms shared by one DataPipe family: `pipe.name(*args)` is `Registered(pipe, *args)`."""

    def __getattr__(self, name):
        registry = type(self)._functions
        if name in registry:
            return functools.partial(registry[name], self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    @classmethod
    def register_datapipe_as_function(cls, function_name, cls_to_register, enable_df_api_tracing=False):
        if function_name in cls._functions:
            raise Exception(f"Unable to add DataPipe function name {function_name} as it is already taken")
        cls._functions[function_name] = cls_to_register


class IterDataPipe(_Functional, IterableDataset):
    _functions = {}

    def __class_getitem__(cls, item):   # IterDataPipe[int]: the item type runtime_validation checks
        return type(f"{cls.__name__}[{getattr(item, '__name__', item)}]", (cls,), {"_item_type": item})


class DFIterDataPipe(IterDataPipe):
    pass


class MapDataPipe(_Functional, Dataset):
    _functions = {}

    def __class_getitem__(cls, item):
        return type(f"{cls.__name__}[{getattr(item, '__name__', item)}]", (cls,), {"_item_type": item})


class DataChunk(list):
    """A batch produced by a DataPipe: a list that can print itself."""

    def __init__(self, items):
        super().__init__(items)
        self.items = items

    def as_str(self, indent=""):
        return indent + "[" + ", ".join(str(i) for i in iter(self)) + "]"

    def __iter__(self):
        yield from super().__iter__()

    def raw_iterator(self):
        yield from self.items


class functional_datapipe:
    """Class decorator: registers a DataPipe under `name` as a method of its family."""

    def __init__(self, name, enable_df_api_tracing=False):
        self.name = name
        self.enable_df_api_tracing = enable_df_api_tracing

    def __call__(self, cls):
        if issubclass(cls, IterDataPipe):
            IterDataPipe.register_datapipe_as_function(self.name, cls)
        elif issubclass(cls, MapDataPipe):
            MapDataPipe.register_datapipe_as_function(self.name, cls)
        else:
            raise TypeError("`functional_datapipe` can only decorate IterDataPipe or MapDataPipe")
        return cls


class guaranteed_datapipes_determinism:
    """Inside it, building a DataPipe marked non_deterministic raises TypeError."""

    def __enter__(self):
        self.prev = _state["deterministic_only"]
        _state["deterministic_only"] = True

    def __exit__(self, *exc):
        _state["deterministic_only"] = self.prev
        return False


class non_deterministic:
    """Class decorator (or, given a function of the class's arguments, a conditional one) for DataPipes whose
    output order is not determined by their input."""

    def __init__(self, arg):
        if isinstance(arg, type):
            self.cls, self.deterministic_fn = arg, None
        elif callable(arg):
            self.cls, self.deterministic_fn = None, arg
        else:
            raise TypeError(f"{arg} can not be decorated by non_deterministic")

    def __call__(self, *args, **kwargs):
        if self.cls is not None:   # decorating a class: this call builds an instance
            if _state["deterministic_only"]:
                raise TypeError(f"{self.cls.__name__} is non-deterministic, but you set "
                                "'guaranteed_datapipes_determinism'")
            return self.cls(*args, **kwargs)
        cls = args[0]                 # decorated with a function: wrap the class

        @functools.wraps(cls, updated=())
        def build(*a, **kw):
            if _state["deterministic_only"] and self.deterministic_fn(*a, **kw):
                raise TypeError(f"{cls.__name__} is non-deterministic with the inputs, but you set "
                                "'guaranteed_datapipes_determinism'")
            return cls(*a, **kw)
        return build


def argument_validation(f):
    """Checks the arguments annotated with a DataPipe type (`IterDataPipe[int]` included) before calling f."""
    signature = inspect.signature(f)
    hints = typing.get_type_hints(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            hint = hints.get(name)
            if isinstance(hint, type) and issubclass(hint, (IterDataPipe, MapDataPipe)):
                if not isinstance(value, hint.__mro__[1] if "_item_type" in hint.__dict__ else hint):
                    raise TypeError(f"Expected argument '{name}' as a {hint.__name__}, but found "
                                    f"{type(value).__name__}")
        return f(*args, **kwargs)
    return wrapper


def runtime_validation(f):
    """For a DataPipe's __iter__: each item must be an instance of the class's item type (IterDataPipe[T])."""
    if f.__name__ != "__iter__":
        raise TypeError(f"Can not decorate function {f.__name__} with 'runtime_validation'")

    @functools.wraps(f)
    def wrapper(self):
        kind = getattr(type(self), "_item_type", None)
        for item in f(self):
            if _state["runtime_checks"] and isinstance(kind, type) and not isinstance(item, kind):
                raise RuntimeError(f"Expected an instance as subtype of {kind.__name__}, but found {item}"
                                   f"({type(item)})")
            yield item
    return wrapper


class runtime_validation_disabled:
    def __enter__(self):
        self.prev = _state["runtime_checks"]
        _state["runtime_checks"] = False

    def __exit__(self, *exc):
        _state["runtime_checks"] = self.prev
        return False


# the common functional forms
@functional_datapipe("map")
class Mapper(IterDataPipe):
    def __init__(self, datapipe, fn):
        self.datapipe, self.fn = datapipe, fn

    def __iter__(self):
        for item in self.datapipe:
            yield self.fn(item)


@functional_datapipe("filter")
class Filter(IterDataPipe):
    def __init__(self, datapipe, filter_fn):
        self.datapipe, self.filter_fn = datapipe, filter_fn

    def __iter__(self):
        for item in self.datapipe:
            if self.filter_fn(item):
                yield item


@functional_datapipe("batch")
class Batcher(IterDataPipe):
    def __init__(self, datapipe, batch_size, drop_last=False, wrapper_class=DataChunk):
        if batch_size <= 0:
            raise ValueError("Batch size is required to be larger than 0!")
        self.datapipe, self.batch_size, self.drop_last, self.wrapper_class = datapipe, batch_size, drop_last, \
            wrapper_class

    def __iter__(self):
        batch = []
        for item in self.datapipe:
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.wrapper_class(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.wrapper_class(batch)


class IterableWrapper(IterDataPipe):
    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        yield from self.iterable
