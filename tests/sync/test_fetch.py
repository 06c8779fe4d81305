"""Fetcher against a real HTTP server on 127.0.0.1 serving the real excerpts of tests/fixtures/mirror, and against
that mirror folder."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from service.errors import ConfigError, FetchError
from service.sources.manifest import Resource
from service.sync.fetch import Fetcher, ResourceNotFoundError
from tests.conftest import FIXTURE_MIRROR
from tests.sync.conftest import TEST_TIMEOUT_S
from tests.sync.mirror_server import MirrorServer

UN = "un_sc_sanctions"
UN_FILE = Resource("consolidated.xml", "https://scsanctions.un.org/resources/xml/en/consolidated.xml")
CONS_COMMENTS = Resource("cons_comments.csv", "https://example.invalid/CONS_COMMENTS.CSV", required=False)
UN_BYTES = (FIXTURE_MIRROR / UN / "consolidated.xml").stat().st_size  # the excerpt served as the UN file
CAP_BYTES = UN_BYTES // 2  # a download cap the file is over


def mirror_sha256(fixture_mirror: Path, list_id: str, name: str) -> str:
    """The sha256 that a mirror folder's MIRROR.json records for a file."""
    index = json.loads((fixture_mirror / "MIRROR.json").read_text())
    return next(f["sha256"] for f in index["lists"][list_id] if f["file"] == name)


def test_fetch_downloads_real_file_with_validators(
    fetcher: Fetcher, mirror_server: MirrorServer, fixture_mirror: Path
) -> None:
    got = fetcher.fetch(UN, UN_FILE)
    assert got.data is not None and not got.unchanged
    assert len(got.data) == UN_BYTES
    assert hashlib.sha256(got.data).hexdigest() == mirror_sha256(fixture_mirror, UN, "consolidated.xml")
    assert got.validators["etag"].startswith('"')
    assert got.validators["last_modified"].endswith("GMT")
    assert got.source == f"{mirror_server.url}/{UN}/consolidated.xml"


def test_fetch_conditional_get_returns_unchanged(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    first = fetcher.fetch(UN, UN_FILE)
    second = fetcher.fetch(UN, UN_FILE, first.validators)
    assert second.unchanged and second.data is None
    assert second.validators["etag"] == first.validators["etag"]
    reqs = mirror_server.requests_for(UN)
    assert [(r.status, r.conditional) for r in reqs] == [(200, False), (304, True)]


def test_fetch_follows_redirect_to_real_file(
    fetcher: Fetcher, mirror_server: MirrorServer, fixture_mirror: Path
) -> None:
    mirror_server.fault(UN, "consolidated.xml", "redirect")
    got = fetcher.fetch(UN, UN_FILE)
    assert got.data is not None
    assert hashlib.sha256(got.data).hexdigest() == mirror_sha256(fixture_mirror, UN, "consolidated.xml")
    assert [r.status for r in mirror_server.requests_for(UN)] == [302, 200]
    assert "/_moved/" in got.source


def test_fetch_retries_5xx_then_succeeds(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.flaky(UN, "consolidated.xml", 2)
    got = fetcher.fetch(UN, UN_FILE)
    assert got.data is not None and len(got.data) == UN_BYTES
    assert [r.status for r in mirror_server.requests_for(UN)] == [503, 503, 200]


def test_fetch_gives_up_on_persistent_500(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "500")
    with pytest.raises(FetchError, match=r"HTTP 500 .*consolidated\.xml.*gave up after 3 attempts"):
        fetcher.fetch(UN, UN_FILE)
    assert len(mirror_server.requests_for(UN)) == 3  # 1 try + retries=2


def test_fetch_does_not_retry_404(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "404")
    with pytest.raises(ResourceNotFoundError, match="HTTP 404"):
        fetcher.fetch(UN, UN_FILE)
    assert len(mirror_server.requests_for(UN)) == 1


def test_fetch_times_out_on_hang(mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "hang")
    started = time.monotonic()
    with (
        Fetcher(mirror=mirror_server.url, timeout_s=0.3, retries=1, backoff_s=0.01) as f,
        pytest.raises(FetchError, match=r"timed out after 0\.3 s"),
    ):
        f.fetch(UN, UN_FILE)
    assert time.monotonic() - started < 5
    assert len(mirror_server.requests_for(UN)) == 2


def test_fetch_rejects_truncated_body(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "truncate")
    with pytest.raises(FetchError, match="truncated"):
        fetcher.fetch(UN, UN_FILE)


def test_fetch_rejects_empty_body(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "empty")
    with pytest.raises(FetchError, match=r"empty body .*HTTP 200 with 0 bytes"):
        fetcher.fetch(UN, UN_FILE)
    assert len(mirror_server.requests_for(UN)) == 1  # not a transient fault: no retry


def test_fetch_rejects_declared_size_over_cap(mirror_server: MirrorServer) -> None:
    with (
        Fetcher(mirror=mirror_server.url, max_bytes=CAP_BYTES, timeout_s=TEST_TIMEOUT_S) as f,
        pytest.raises(FetchError, match=f"declares {UN_BYTES} bytes, over the {CAP_BYTES}-byte download cap"),
    ):
        f.fetch(UN, UN_FILE)


def test_fetch_aborts_streamed_body_over_cap(mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "nolength")
    with (
        Fetcher(mirror=mirror_server.url, max_bytes=CAP_BYTES, timeout_s=TEST_TIMEOUT_S) as f,
        pytest.raises(FetchError, match=f"body exceeds the {CAP_BYTES}-byte download cap; aborted"),
    ):
        f.fetch(UN, UN_FILE)


def test_fetch_reads_body_without_content_length(fetcher: Fetcher, mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "nolength")
    got = fetcher.fetch(UN, UN_FILE)
    assert got.data is not None and len(got.data) == UN_BYTES


def test_fetch_deadline_stops_a_drip_feed(mirror_server: MirrorServer) -> None:
    mirror_server.fault(UN, "consolidated.xml", "drip")
    with Fetcher(mirror=mirror_server.url, timeout_s=TEST_TIMEOUT_S, retries=0, deadline_s=0.5) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"took longer than 0\.5 s"):
            f.fetch(UN, UN_FILE)
    assert time.monotonic() - started < 3


def test_fetch_official_url_when_no_mirror() -> None:
    with Fetcher() as f:
        assert f.location(UN, UN_FILE) == UN_FILE.url


def test_fetch_error_message_never_carries_the_query(mirror_server: MirrorServer) -> None:
    with Fetcher(timeout_s=TEST_TIMEOUT_S, retries=0) as f:
        secret = Resource("x.xml", f"{mirror_server.url}/{UN}/missing.xml?token=SECRET")
        with pytest.raises(ResourceNotFoundError) as info:
            f.fetch(UN, secret)
    assert "SECRET" not in str(info.value)
    assert f"{mirror_server.url}/{UN}/missing.xml?…" in str(info.value)


# --- mirror folder ----------------------------------------------------------------------------------------------


def test_fetch_folder_reads_real_file_and_reports_unchanged(fixture_mirror: Path) -> None:
    with Fetcher(mirror=str(fixture_mirror)) as f:
        got = f.fetch(UN, UN_FILE)
        assert got.data is not None
        assert got.validators["sha256"] == mirror_sha256(fixture_mirror, UN, "consolidated.xml")
        assert got.validators["size"] == str(UN_BYTES)
        again = f.fetch(UN, UN_FILE, got.validators)
        assert again.unchanged


def test_fetch_folder_detects_changed_file(tmp_path: Path) -> None:
    (tmp_path / UN).mkdir()
    target = tmp_path / UN / "consolidated.xml"
    target.write_bytes(b"<CONSOLIDATED_LIST/>")
    with Fetcher(mirror=str(tmp_path)) as f:
        first = f.fetch(UN, UN_FILE)
        target.write_bytes(b"<CONSOLIDATED_LIST dateGenerated='x'/>")
        os.utime(target, ns=(1, 1))
        second = f.fetch(UN, UN_FILE, first.validators)
    assert second.data == b"<CONSOLIDATED_LIST dateGenerated='x'/>"
    # Touched but identical bytes: still unchanged.
    with Fetcher(mirror=str(tmp_path)) as f:
        os.utime(target, ns=(2, 2))
        assert f.fetch(UN, UN_FILE, second.validators).unchanged


def test_fetch_folder_rejects_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / UN).mkdir()
    (tmp_path / UN / "consolidated.xml").write_bytes(b"")
    with Fetcher(mirror=str(tmp_path)) as f, pytest.raises(FetchError, match=r"empty file \(0 bytes\)"):
        f.fetch(UN, UN_FILE)
        with pytest.raises(ResourceNotFoundError, match="not found in the mirror folder"):
            f.fetch("us_ofac_cons", CONS_COMMENTS)


def test_fetch_folder_applies_size_cap(fixture_mirror: Path) -> None:
    with (
        Fetcher(mirror=str(fixture_mirror), max_bytes=1000) as f,
        pytest.raises(FetchError, match="over the 1000-byte download cap"),
    ):
        f.fetch(UN, UN_FILE)


def test_fetch_folder_refuses_path_traversal(fixture_mirror: Path) -> None:
    with Fetcher(mirror=str(fixture_mirror)) as f, pytest.raises(FetchError, match="unsafe name"):
        f.fetch(UN, Resource("../../etc/passwd", "https://example.invalid/"))


def test_fetcher_refuses_missing_mirror_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Fetcher(mirror=str(tmp_path / "nowhere"))
