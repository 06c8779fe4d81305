"""The review page's rendering: every template and static file ships in a wheel, static URLs change with their
content, and the template filters read relations and source fields as an analyst would."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from service.api.ui import pages
from service.api.ui.pages import UI_DIR, environment, static_url

ROOT = Path(__file__).resolve().parents[3]


def test_every_template_and_static_file_is_package_data() -> None:
    """A non-editable install (the Docker image) must carry them: pyproject's package-data globs cover each."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["service"]
    package = ROOT / "service"
    shipped = [p for p in UI_DIR.rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert {p.parent.name for p in shipped} == {"templates", "static"}
    for p in shipped:
        relative = p.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, g) for g in globs), relative


def test_every_template_compiles() -> None:
    env = environment()
    names = env.list_templates()
    assert "screen.html" in names and "entity.html" in names
    for name in names:
        env.get_template(name)


def test_static_urls_carry_a_digest_of_the_content() -> None:
    url = static_url("ui.css")
    assert url.startswith("/ui/static/ui.css?v=") and len(url.rsplit("=", 1)[1]) == 10


def test_filters_read_relations_and_source_fields() -> None:
    assert pages._relation("operator") == "operator"
    assert pages._relation("operator of") == "operator of"
    assert pages._relation("linked_to") == "linked to"
    assert pages._relation("linked_to of") == "linked from"
    assert pages._value(None) == pages._value("") == pages._value([]) == "\u2014"
    assert pages._value(["a", 2, None]) == "a; 2; \u2014"
    assert pages._value({"k": "v"}) == "k: v"
    assert pages._signed(-0.1) == "\u22120.10" and pages._signed(0.05) == "+0.05"
