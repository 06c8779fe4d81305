"""`python -m service` is the `sanctions` command."""

from service.cli import main

raise SystemExit(main())
