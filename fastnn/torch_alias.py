"""Run PyTorch code on fastnn unchanged: `torch` and `torch.x.y` resolve to `fastnn` and `fastnn.x.y`
(`torch_geometric` to `fastnn.geometric`).

    fastnn as-torch train.py --epochs 3        # or: python -m fastnn.torch_alias train.py --epochs 3

or, in a program, `fastnn.torch_alias.install()` before the first `import torch`. A submodule fastnn lacks raises
ModuleNotFoundError naming both names. A real PyTorch imported earlier in the same process is left alone: install()
refuses to shadow it."""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

ALIASES = {"torch": "fastnn", "torch_geometric": "fastnn.geometric"}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def _target(self, name):
        for alias, real in ALIASES.items():
            if name == alias or name.startswith(alias + "."):
                return real + name[len(alias):]
        return None

    def find_spec(self, name, path, target=None):
        real = self._target(name)
        if real is None:
            return None
        try:
            importlib.import_module(real)
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError(f"No module named {name!r}: fastnn has no {real} ({err})", name=name) from None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return importlib.import_module(self._target(spec.name))   # the fastnn module itself, not a copy

    def exec_module(self, module):
        pass


def install():
    """Make `import torch` (and `torch_geometric`) give fastnn in this process."""
    for alias in ALIASES:
        loaded = sys.modules.get(alias)
        if loaded is not None and not getattr(loaded, "__name__", "").startswith("fastnn"):
            raise RuntimeError(f"the real {alias} is already imported in this process; install the alias first")
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
    for alias, real in ALIASES.items():
        try:
            sys.modules[alias] = importlib.import_module(real)
        except ModuleNotFoundError:
            pass
    _alias_in_spawned_children()


def _alias_in_spawned_children():
    """Processes started with the spawn method run a fresh interpreter that re-imports the script: install the
    alias there first, so `torch` in the child is fastnn too (fork children inherit it)."""
    import multiprocessing.spawn as spawn
    if getattr(spawn.get_command_line, "_fastnn_alias", False):
        return
    plain = spawn.get_command_line

    def get_command_line(**kwds):
        cmd = plain(**kwds)
        if "-c" in cmd:
            i = cmd.index("-c") + 1
            cmd[i] = "import fastnn.torch_alias; fastnn.torch_alias.install(); " + cmd[i]
        return cmd

    get_command_line._fastnn_alias = True
    spawn.get_command_line = get_command_line


def run_script(path, args=()):
    """Run a script as `python path args` would, with the alias installed."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"as-torch: no script {path}")
    install()
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m fastnn.torch_alias SCRIPT [ARGS...]  (run a PyTorch script on fastnn)")
        return 0 if argv else 2
    run_script(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
