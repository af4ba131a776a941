"""functional_call: run a module with some parameters and buffers swapped for given tensors."""
from contextlib import contextmanager


@contextmanager
def _swapped(module, tensors):
    saved = []
    try:
        for name, value in tensors.items():
            path, _, attr = name.rpartition(".")
            owner = module.get_submodule(path)
            for store in ("_parameters", "_buffers"):
                table = owner.__dict__[store]
                if attr in table:
                    saved.append((table, attr, table[attr]))
                    table[attr] = value
                    break
            else:
                raise AttributeError(f"{type(owner).__name__} has no parameter or buffer named '{attr}' ({name})")
        yield
    finally:
        for table, attr, old in reversed(saved):
            table[attr] = old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged = {}
        for d in dicts:
            overlap = set(merged) & set(d)
            if overlap:
                raise ValueError(f"{sorted(overlap)} appeared in multiple dictionaries")
            merged.update(d)
        dicts = merged
    if strict:
        own = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(own - set(dicts)), sorted(set(dicts) - own)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _swapped(module, dicts):
        return module(*args, **(kwargs or {}))
