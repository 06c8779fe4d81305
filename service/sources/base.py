"""What every list parser shares: the parser protocol, a parse report, and hostile-XML-safe parsing.

A parser module exposes `parse(files, report=None, *, list_id=None) -> Iterator[Entity]` (see `Parser`): bytes
in, entities out, deterministic, stable ids, no network and no store. `list_id` defaults to the parser's own list;
generic formats (`ofac_xml`, `ftm`) use it to stamp entity ids for whichever list the manifest declares.
It raises ParseError (or HostileInputError) when the files are not a complete, well-formed list; oddities it
can live with go into the report as warnings and counts, never silently dropped.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from service.errors import HostileInputError, ParseError
from service.model import Entity

# Limits for XML trees: far above any real list (OFAC SDN_ADVANCED.XML nests < 15 deep, < 5 M elements).
MAX_XML_DEPTH = 64
MAX_XML_ELEMENTS = 20_000_000


@dataclass
class ParseReport:
    """What a parser noticed: the publisher's date, counts and warnings for the sync summary."""

    published_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Parser(Protocol):
    def __call__(
        self, files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
    ) -> Iterator[Entity]: ...


def require(files: Mapping[str, bytes], name: str) -> bytes:
    """The named resource, or ParseError when it is missing or empty."""
    data = files.get(name)
    if data is None:
        raise ParseError(f"resource {name!r} missing")
    if not data.strip():
        raise ParseError(f"resource {name!r} is empty")
    return data


def parse_xml(data: bytes, *, name: str = "document") -> ET.Element:
    """Parse untrusted XML: no DTD entities, no external references, bounded depth and size.

    Entity declarations (billion laughs) and external entities (XXE) are refused before anything is
    expanded; the tree is built incrementally so depth and element count are checked as it grows.
    """
    if not data.strip():
        raise ParseError(f"{name}: empty document")
    depth = 0
    elements = 0
    root: ET.Element | None = None
    try:
        for event, elem in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                depth += 1
                elements += 1
                if root is None:
                    root = elem
                if depth > MAX_XML_DEPTH:
                    raise HostileInputError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} levels")
                if elements > MAX_XML_ELEMENTS:
                    raise HostileInputError(f"{name}: XML has more than {MAX_XML_ELEMENTS} elements")
            else:
                depth -= 1
    except DefusedXmlException as exc:
        raise HostileInputError(f"{name}: refused hostile XML ({type(exc).__name__})") from exc
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML: {exc}") from exc
    if root is None:
        raise ParseError(f"{name}: no root element")
    return root


def strip_namespaces(root: ET.Element) -> ET.Element:
    """Drop `{namespace}` prefixes from every tag and attribute, in place, so parsers use local names."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
        for key in [k for k in el.attrib if k.startswith("{")]:
            el.attrib[key.split("}", 1)[1]] = el.attrib.pop(key)
    return root


def text_of(el: ET.Element | None, path: str | None = None) -> str | None:
    """Stripped text of `el` (or of its child at `path`), None when absent or blank."""
    if el is None:
        return None
    target = el.find(path) if path else el
    if target is None or target.text is None:
        return None
    value = target.text.strip()
    return value or None


def xml_root(files: Mapping[str, bytes], resource: str, root_tag: str) -> ET.Element:
    """The namespace-free root of a list's XML resource, parsed safely; ParseError unless it is `<root_tag>`."""
    root = strip_namespaces(parse_xml(require(files, resource), name=resource))
    if root.tag != root_tag:
        raise ParseError(f"{resource}: root element is <{root.tag}>, expected <{root_tag}>")
    return root
