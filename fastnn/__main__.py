"""`python -m fastnn ...` runs the same command line as the `fastnn` script."""
from .cli import main

raise SystemExit(main())
