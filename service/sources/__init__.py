"""One parser per list format: bytes in, Entity objects out; no network, no store.

`get_parser(format)` finds `service.sources.<format>.parse`; a list's manifest names its format (by default the
list id itself, e.g. `us_ofac_sdn`), and alternative formats such as `ofac_xml` or `ftm` live beside them.
"""

from __future__ import annotations

import importlib
import re

from service.errors import ConfigError
from service.sources.base import Parser, ParseReport

_FORMAT = re.compile(r"^[a-z][a-z0-9_]*$")


def get_parser(fmt: str) -> Parser:
    if not _FORMAT.match(fmt) or fmt in ("base", "manifest"):
        raise ConfigError(f"invalid list format {fmt!r}")
    try:
        module = importlib.import_module(f"service.sources.{fmt}")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"no parser for format {fmt!r}") from exc
    if not callable(getattr(module, "parse", None)):
        raise ConfigError(f"{fmt!r} is a helper module, not a list format")
    parse: Parser = module.parse
    return parse


__all__ = ["ParseReport", "Parser", "get_parser"]
