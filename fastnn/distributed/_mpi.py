"""mpi4py, imported only when a process group is used, so fastnn imports without it."""

INSTALL_HINT = 'pip install "fastnn[distributed]"'


def mpi():
    """The mpi4py.MPI module; ImportError naming the install command when it or MPI is missing."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(f"fastnn.distributed needs mpi4py and an MPI library ({err}); "
                          f"install both with: {INSTALL_HINT}") from err
    except (RuntimeError, OSError) as err:  # mpi4py present, its MPI library not loadable
        raise ImportError(f"mpi4py is installed but cannot load an MPI library ({err}); "
                          f"install one with: {INSTALL_HINT}") from err
    return MPI


def is_available():
    """True when mpi4py and an MPI library can be loaded."""
    try:
        mpi()
    except ImportError:
        return False
    return True
