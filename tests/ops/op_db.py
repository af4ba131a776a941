"""The op table: every row of every family file."""
from .op_db_elementwise import ROWS as _ELEMENTWISE
from .op_db_reduce import ROWS as _REDUCE
from .op_db_misc import ROWS as _MISC
from .op_db_extra import ROWS as _EXTRA
from .op_db_linalg import ROWS as _LINALG

ROWS = _ELEMENTWISE + _REDUCE + _MISC + _EXTRA + _LINALG
