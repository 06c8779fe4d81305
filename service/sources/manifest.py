"""List manifests: one TOML file per list id in `lists/` (publisher, official URLs, format, licence, refresh)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from service.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Resource:
    name: str  # file name inside a mirror folder: <mirror>/<list id>/<name>
    url: str  # official URL
    required: bool = True


@dataclass(frozen=True, slots=True)
class ListManifest:
    id: str
    title: str
    publisher: str
    country: str
    format: str  # parser module name in service.sources
    resources: tuple[Resource, ...]
    licence: str
    info_url: str
    refresh_interval_s: int = 3600
    default: bool = True  # synced when SANCTIONS_LISTS is unset
    alternatives: tuple[tuple[str, tuple[Resource, ...]], ...] = ()  # (format, resources) other formats
    notes: str = ""


def _resources(raw: object, where: str) -> tuple[Resource, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'resources' must be a non-empty array")
    out = []
    for r in raw:
        if not isinstance(r, dict) or "name" not in r or "url" not in r:
            raise ConfigError(f"{where}: each resource needs 'name' and 'url'")
        out.append(Resource(name=str(r["name"]), url=str(r["url"]), required=bool(r.get("required", True))))
    return tuple(out)


def load_manifest(path: Path) -> ListManifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    list_id = path.stem
    if data.get("id", list_id) != list_id:
        raise ConfigError(f"{path}: id {data.get('id')!r} differs from the file name")
    try:
        alternatives = tuple(
            (str(alt["format"]), _resources(alt.get("resources"), f"{path} alternative"))
            for alt in data.get("alternatives", [])
        )
        return ListManifest(
            id=list_id,
            title=str(data["title"]),
            publisher=str(data["publisher"]),
            country=str(data.get("country", "")),
            format=str(data.get("format", list_id)),
            resources=_resources(data.get("resources"), str(path)),
            licence=str(data["licence"]),
            info_url=str(data.get("info_url", "")),
            refresh_interval_s=int(data.get("refresh_interval_s", 3600)),
            default=bool(data.get("default", True)),
            alternatives=alternatives,
            notes=str(data.get("notes", "")),
        )
    except KeyError as exc:
        raise ConfigError(f"{path}: missing key {exc}") from exc


def load_manifests(lists_dir: Path, only: list[str] | None = None) -> dict[str, ListManifest]:
    """Manifests by list id. `only` selects ids (unknown ids are a ConfigError); empty = the default lists."""
    if not lists_dir.is_dir():
        raise ConfigError(f"lists folder {lists_dir} not found")
    every = {p.stem: load_manifest(p) for p in sorted(lists_dir.glob("*.toml"))}
    if only:
        unknown = [i for i in only if i not in every]
        if unknown:
            raise ConfigError(f"unknown list id(s): {', '.join(unknown)}; known: {', '.join(sorted(every))}")
        return {i: every[i] for i in only}
    return {i: m for i, m in every.items() if m.default}
