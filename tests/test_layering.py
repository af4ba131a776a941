"""The house rules a newcomer relies on, checked on the source tree (issue 30):

* no import circle among fastnn's modules outside the autograd core (Tensor <-> ops, with the
  modules Tensor's methods are implemented in);
* the kernel layer (fastnn/kernels, the csrc bindings) imports nothing from data, nn or zoo;
* no source file over 600 lines.

Imports are read with ast, function-level ones included (a lazy import is still a dependency).
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600

# The autograd core: Tensor and its ops import each other by design (Tensor's methods are the ops;
# the ops build Tensors), and Tensor's methods reach these modules for what they implement:
# new_* and multinomial/bernoulli (creation), to_sparse* (sparse, sparse_coo), share_memory_ and
# is_shared (multiprocessing.reductions, which registers Parameter's reducer too).
CORE_OUTSIDE_AUTOGRAD = {"fastnn.creation", "fastnn.sparse", "fastnn.sparse_coo",
                         "fastnn.multiprocessing.reductions", "fastnn.nn.parameter"}
KERNEL_LAYER_MAY_NOT_IMPORT = ("fastnn.data", "fastnn.nn", "fastnn.zoo")


def in_core(module):
    return module.startswith("fastnn.autograd.") or module in CORE_OUTSIDE_AUTOGRAD


def module_name(path, root):
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(root, package="fastnn"):
    """name -> path of every Python module of the package, and the names of its compiled extensions."""
    modules = {module_name(p, root): p for p in (root / package).rglob("*.py")}
    # the compiled extensions, named as setup.py names csrc/<family>.pyx (the checkout CI tests is unbuilt)
    extensions = {f"{package}._runtime" if p.stem == "runtime" else f"{package}.kernels._{p.stem}"
                  for p in (root / "csrc").glob("*.pyx")}
    return modules, extensions


def imported_modules(path, name, known):
    """The modules of `known` that the file imports (`from pkg import sub` counts as pkg.sub)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
            else:
                base = []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {m for m in found if m in known and m != name}


def import_graph(root, package="fastnn"):
    modules, extensions = package_modules(root, package)
    known = set(modules) | extensions
    return {name: imported_modules(path, name, known) for name, path in modules.items()}


def strongly_connected(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def circles_outside_core(graph):
    return [[m for m in c if not in_core(m)] or c for c in strongly_connected(graph)
            if not all(in_core(m) for m in c)]


def _is_upward(module):
    return any(module == top or module.startswith(top + ".") for top in KERNEL_LAYER_MAY_NOT_IMPORT)


def kernel_layer_offences(root):
    """(file, imported module) pairs where fastnn/kernels or csrc reach data, nn or zoo."""
    modules, extensions = package_modules(root)
    known = set(modules) | extensions
    offences = []
    for name, path in modules.items():
        if name == "fastnn.kernels" or name.startswith("fastnn.kernels."):
            for target in imported_modules(path, name, known):
                if _is_upward(target):
                    offences.append((str(path.relative_to(root)), target))
    pattern = re.compile(r"^\s*(?:from|c?import)\s+([\w.]+)", re.M)
    for path in sorted((root / "csrc").glob("*")):
        if path.suffix in (".pyx", ".pxi", ".pxd"):
            for target in pattern.findall(path.read_text()):
                if _is_upward(target):
                    offences.append((str(path.relative_to(root)), target))
    return offences


def source_files(root):
    for pattern in ("fastnn/**/*.py", "tests/**/*.py", "tools/**/*.py", "bench/**/*.py"):
        yield from root.glob(pattern)
    for ending in ("pyx", "pxi", "h", "pxd"):
        yield from (root / "csrc").glob(f"*.{ending}")


def oversized(root):
    sizes = {str(p.relative_to(root)): len(p.read_text().splitlines()) for p in source_files(root)}
    return {name: n for name, n in sorted(sizes.items()) if n > MAX_LINES}


# ------------------------------------------------------------------ the rules, on this tree

def test_no_import_circle_outside_the_autograd_core():
    circles = circles_outside_core(import_graph(ROOT))
    assert not circles, f"import circles outside the autograd core: {circles}"


def test_the_autograd_core_is_one_circle_that_holds_tensor():
    # the allowance above is for the circle Tensor's methods close, nothing wider
    core = [c for c in strongly_connected(import_graph(ROOT)) if "fastnn.autograd.tensor" in c]
    assert core and "fastnn.autograd.ops.tensor_methods" in core[0]


def test_kernel_layer_imports_no_data_nn_or_zoo():
    offences = kernel_layer_offences(ROOT)
    assert not offences, f"kernel-layer imports of data/nn/zoo: {offences}"


def test_no_source_file_over_600_lines():
    too_long = oversized(ROOT)
    assert not too_long, f"source files over {MAX_LINES} lines (split them by concept): {too_long}"


# ------------------------------------------------------------------ the checks can fail

def _fake_tree(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_circle_check_sees_a_lazy_import_circle(tmp_path):
    root = _fake_tree(tmp_path, {
        "fastnn/__init__.py": "",
        "fastnn/nn/__init__.py": "",
        "fastnn/nn/functional.py": "from .functional_attention import sdpa\n",
        "fastnn/nn/functional_attention.py": "def sdpa():\n    from .functional import dropout\n",
        "fastnn/autograd/__init__.py": "",
        "fastnn/autograd/tensor.py": "from .ops import add\n",
        "fastnn/autograd/ops.py": "from .tensor import Tensor\n",
    })
    assert circles_outside_core(import_graph(root)) == [["fastnn.nn.functional",
                                                         "fastnn.nn.functional_attention"]]


def test_the_kernel_layer_check_sees_an_upward_import(tmp_path):
    root = _fake_tree(tmp_path, {
        "fastnn/__init__.py": "",
        "fastnn/data/__init__.py": "",
        "fastnn/data/graphs.py": "",
        "fastnn/kernels/__init__.py": "",
        "fastnn/kernels/cases/__init__.py": "",
        "fastnn/kernels/cases/graph.py": "def cora():\n    from ...data.graphs import Planetoid\n",
        "fastnn/kernels/cases/fine.py": "from ...kernels import cases\n",
        "csrc/bad.pyx": "from fastnn.nn import functional\n",
        "csrc/good.pyx": "cimport numpy as cnp\nfrom libc.math cimport exp\n",
    })
    assert sorted(kernel_layer_offences(root)) == [("csrc/bad.pyx", "fastnn.nn"),
                                                   ("fastnn/kernels/cases/graph.py", "fastnn.data.graphs")]


def test_the_size_check_counts_lines(tmp_path):
    root = _fake_tree(tmp_path, {"fastnn/big.py": "x = 1\n" * (MAX_LINES + 1), "fastnn/ok.py": "x = 1\n" * MAX_LINES,
                                 "csrc/big.h": "//\n" * (MAX_LINES + 1), "tests/test_small.py": ""})
    assert oversized(root) == {"csrc/big.h": MAX_LINES + 1, "fastnn/big.py": MAX_LINES + 1}
