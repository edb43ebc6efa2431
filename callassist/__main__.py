"""Run callassist with `python -m callassist`."""

from callassist.cli import main

raise SystemExit(main())
