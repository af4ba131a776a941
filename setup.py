"""Build: cythonize csrc/*.pyx into fastnn.kernels._<family>.

OpenMP is used when the compiler can build and link an OpenMP program, and
skipped otherwise (or when FASTNN_NO_OPENMP=1). No -march=native and no
-ffast-math: wheels must run on any x86-64 and give IEEE results.
FASTNN_KERNELS=conv,rnn builds only the named families (a developer's shortcut; the
others then run on their NumPy reference, see fastnn.kernels.backend).
"""
import os
import sys
import glob
import hashlib
import tempfile

from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext

def _families():
    sources = sorted(glob.glob(os.path.join("csrc", "*.pyx")))
    only = os.environ.get("FASTNN_KERNELS")
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        wanted.add("runtime")  # thread and build settings: every build needs them
        sources = [s for s in sources if os.path.splitext(os.path.basename(s))[0] in wanted]
    return sources


def _openmp_flags(compiler):
    """Return (compile_args, link_args) for OpenMP, or ([], []) when it does not work."""
    if os.environ.get("FASTNN_NO_OPENMP", "") not in ("", "0"):
        return [], []
    if sys.platform == "win32":
        candidates = [(["/openmp"], [])]
    elif sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"]), (["-fopenmp"], ["-fopenmp"])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    program = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
    for cflags, lflags in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "omp_probe.c")
            with open(src, "w") as f:
                f.write(program)
            try:
                objects = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(objects, "omp_probe", output_dir=tmp, extra_postargs=lflags)
            except Exception:
                continue
        return cflags, lflags
    return [], []


def _solo_region_flags(compiler, cflags, lflags):
    """(compile_args, link_args) that run one-thread OpenMP regions inline (csrc/soloregion.h): the GNU
    linker's --wrap of libgomp's GOMP_parallel. ([], []) where the toolchain cannot link it."""
    if not cflags or sys.platform != "linux":
        return [], []
    solo_c, solo_l = ["-DFASTNN_SOLO_REGIONS"], ["-Wl,--wrap=GOMP_parallel"]
    program = ('#include "soloregion.h"\nint main(void){int n=0;\n#pragma omp parallel num_threads(1) reduction(+:n)\n'
               'n+=1;\nreturn n==1&&fastnn_solo_regions_inline()?0:1;}\n')
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "solo_probe.c")
        with open(src, "w") as f:
            f.write(program)
        try:
            objects = compiler.compile([src], output_dir=tmp,
                                       extra_postargs=cflags + solo_c + ["-I" + os.path.abspath("csrc")])
            compiler.link_executable(objects, "solo_probe", output_dir=tmp, extra_postargs=lflags + solo_l)
        except Exception:
            return [], []
    return solo_c, solo_l


# Rebuilding is skipped when nothing that goes into a module changed. pip builds each install in a
# fresh isolated environment whose NumPy/SciPy .pxd files are newer than our generated C, so the
# timestamp checks of Cython and setuptools alone would recompile everything on every install
# (README's two commands compiled it twice). The stamps live in build/, which pip reuses in-tree.
_STAMPS = os.path.join("build", "fastnn-stamps")


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
    return h.hexdigest()


def _csrc_digest():
    """Everything our sources cimport or include, and the tools' versions."""
    import Cython
    import numpy
    files = sorted(glob.glob(os.path.join("csrc", "*")))
    files = [f for f in files if os.path.splitext(f)[1] in (".pyx", ".pxd", ".pxi", ".h")]
    return _digest(Cython.__version__, numpy.__version__, sys.version,
                   *(f.encode() + open(f, "rb").read() for f in files))


def _stamp(name):
    return os.path.join(_STAMPS, name)


def _unchanged(name, digest):
    try:
        with open(_stamp(name)) as f:
            return f.read() == digest
    except OSError:
        return False


def _record(name, digest):
    os.makedirs(_STAMPS, exist_ok=True)
    with open(_stamp(name), "w") as f:
        f.write(digest)


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # compile the extension modules side by side
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        cflags, lflags = _openmp_flags(self.compiler)
        openmp = bool(cflags)
        solo_c, solo_l = _solo_region_flags(self.compiler, cflags, lflags)
        print(f"fastnn: building with OpenMP {'on' if openmp else 'off'}"
              f"{', one-thread regions inline' if solo_c else ''}")
        # -fno-trapping-math lets the compiler vectorise loops with comparisons (clamps,
        # selects), and -fno-math-errno loops with sqrt; results stay IEEE (sqrt is correctly
        # rounded either way), only FP-exception flags and errno are not kept.
        extra = ["-O3", "-fno-trapping-math", "-fno-math-errno"] if self.compiler.compiler_type != "msvc" else ["/O2"]
        for ext in self.extensions:
            ext.extra_compile_args = extra + cflags + solo_c
            ext.extra_link_args = lflags + solo_l
        super().build_extensions()

    def build_extension(self, ext):
        target = self.get_ext_fullpath(ext.name)
        digest = _digest(_csrc_digest(), ext.extra_compile_args, ext.extra_link_args, self.compiler.compiler_so,
                         *(open(src, "rb").read() for src in ext.sources))
        if os.path.exists(target) and _unchanged(ext.name + ".so", digest):
            print(f"fastnn: {ext.name} unchanged since the last build; reusing it")
            return
        # The digest changed, so compile even where setuptools' timestamps call the .so up to date:
        # they do not see headers (an edit of csrc/*.h only was skipped, then stamped as built).
        force, self.force = self.force, True
        try:
            super().build_extension(ext)
        finally:
            self.force = force
        _record(ext.name + ".so", digest)


def _extensions():
    import numpy  # the kernels read arrays through NumPy's C API (csrc/checks.pxi)
    from Cython.Build import cythonize

    exts = []
    for src in _families():
        family = os.path.splitext(os.path.basename(src))[0]
        # runtime.pyx holds thread and build settings, not kernels: fastnn._runtime
        module = "fastnn._runtime" if family == "runtime" else f"fastnn.kernels._{family}"
        exts.append(Extension(module, [src], include_dirs=["csrc", numpy.get_include()],
                              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]))
        generated = os.path.splitext(src)[0] + ".c"
        if os.path.exists(generated) and _unchanged(family + ".c", _csrc_digest()):
            os.utime(generated)  # newer than a fresh build environment's .pxd files: Cython keeps it
    modules = cythonize(
        exts,
        nthreads=os.cpu_count() or 1,
        include_path=["csrc"],
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "nonecheck": False,
        },
    )
    for src in _families():
        _record(os.path.splitext(os.path.basename(src))[0] + ".c", _csrc_digest())
    return modules


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
