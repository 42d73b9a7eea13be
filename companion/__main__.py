"""Allows `python -m companion` to behave exactly like the `companion` command."""

from companion.cli import main

raise SystemExit(main())
