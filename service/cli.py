"""The `sanctions` command: wiring only (settings -> store, fetcher, matcher, app). Exit codes per CONTRACT.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from service import __version__
from service.errors import ServiceError
from service.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1  # sync: a list failed; check: a record matched
EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sanctions", description="Sanctions screening: sync lists, screen, serve.")
    p.add_argument("--version", action="version", version=f"sanctions-screening {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sync", help="pull the lists once and print a per-list summary")
    s.add_argument("--list", dest="lists", action="append", metavar="ID", help="list id (repeatable)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")

    s = sub.add_parser("lists", help="per-list status from the store")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="worker processes (uvicorn)")

    s = sub.add_parser("screen", help="screen one name or identifier from the shell")
    s.add_argument("name", nargs="?", default=None)
    s.add_argument(
        "--type", dest="kind", default="any", choices=["person", "organization", "vessel", "aircraft", "any"]
    )
    s.add_argument("--identifier", action="append", default=[], metavar="X")
    s.add_argument("--birth-date", default=None)
    s.add_argument("--country", action="append", default=[])
    s.add_argument("--threshold", type=float, default=None)
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--list", dest="lists", action="append", metavar="ID")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("check", help="CI hook: screen a file of counterparties; exit 1 when any matches")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--format", default=None, choices=["table", "json", "junit", "sarif", "github"])
    s.add_argument("--output", default=None, metavar="PATH")
    s.add_argument("--url", default=None, help="screen against a running service instead of local lists")
    s.add_argument("--api-key", default=None)
    s.add_argument("--min-score", type=float, default=None)
    s.add_argument("--fail-on", default=None, help="which hits fail the run (see README)")
    s.add_argument("--allowlist", default=None, metavar="FILE")
    s.add_argument("--field", action="append", default=[], metavar="ROLE=COLUMN", help="map a column to a role")
    s.add_argument("--input-format", default=None, choices=["csv", "json", "jsonl", "yaml"])
    return p


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    raise ServiceError("sync is not wired yet")


def _cmd_lists(args: argparse.Namespace, settings: Settings) -> int:
    raise ServiceError("lists is not wired yet")


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    raise ServiceError("serve is not wired yet")


def _cmd_screen(args: argparse.Namespace, settings: Settings) -> int:
    raise ServiceError("screen is not wired yet")


def _cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    raise ServiceError("check is not wired yet")


_COMMANDS = {
    "sync": _cmd_sync,
    "lists": _cmd_lists,
    "serve": _cmd_serve,
    "screen": _cmd_screen,
    "check": _cmd_check,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = Settings()
        return _COMMANDS[args.command](args, settings)
    except ServiceError as exc:
        # Boundary: every domain error becomes one line on stderr and a usage/data exit code.
        print(f"sanctions: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # pydantic-settings validation of SANCTIONS_* variables
        print(f"sanctions: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
