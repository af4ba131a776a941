"""The op table: every row of every family file."""
from .op_db_elementwise import ROWS as _ELEMENTWISE
from .op_db_reduce import ROWS as _REDUCE
from .op_db_misc import ROWS as _MISC

ROWS = _ELEMENTWISE + _REDUCE + _MISC
