"""fastexp.h's exponentials are inlined into every kernel, never called as an out-of-line copy.

An out-of-line copy is compiled for the SSE2 baseline; a call from a kernel built for AVX2 or
AVX-512 then runs legacy-SSE code with the wide registers' upper halves live, and stalled: the
float32 attention forward took 190 ms instead of 3 ms (Intel Xeon, AVX-512) when GCC stopped
inlining fastnn_expf. Speed is not asserted here; the cause is: no compiled kernel module may
define a function symbol named fastnn_expf or fastnn_exp. The symbol table is read from the ELF
file itself (Linux builds carry one; a stripped build is reported as a skip with that reason).
"""
import struct
import sys

import pytest

from fastnn.kernels import compiled_modules

OUT_OF_LINE_FORBIDDEN = {b"fastnn_expf", b"fastnn_exp"}
STT_FUNC = 2


def elf_function_symbols(path):
    """Names of the FUNC symbols in an ELF64 little-endian file's .symtab (None when it has none)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, f"{path}: not an ELF64 little-endian file"
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    SHT_SYMTAB = 2
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != SHT_SYMTAB:
            continue
        str_offset = sections[link][4]
        names = set()
        for pos in range(offset, offset + size, entsize):
            st_name, st_info = struct.unpack_from("<IB", data, pos)
            if st_info & 0xF == STT_FUNC:
                end = data.index(b"\0", str_offset + st_name)
                names.add(data[str_offset + st_name:end])
        return names
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads ELF symbol tables (Linux builds)")
@pytest.mark.parametrize("family", sorted(compiled_modules))
def test_no_out_of_line_exponential(family):
    path = compiled_modules[family].__file__
    names = elf_function_symbols(path)
    if names is None:
        pytest.skip(f"{path} is stripped: no symbol table to read")
    assert names, f"{path}: a symbol table without functions; the reader is wrong"
    assert not names & OUT_OF_LINE_FORBIDDEN, (
        f"{family}: {sorted(n.decode() for n in names & OUT_OF_LINE_FORBIDDEN)} compiled out of line; "
        f"fastexp.h's functions must stay always_inline")


def test_reader_finds_known_functions():
    # the reader itself: every kernel module defines its Python module init function
    for family, module in compiled_modules.items():
        names = elf_function_symbols(module.__file__)
        if names is not None:
            assert f"PyInit__{family}".encode() in names
