"""The sync worker end to end: the real excerpts of tests/fixtures/mirror over a real HTTP server on 127.0.0.1, real
parsers, and every fault a publisher or a network produces; each ends with a clear error and the last good data
intact. One test syncs every whole list of ../shared/mirror and checks the figures of its MANIFEST.md."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.errors import ValidationError
from service.model import ListStatus, SyncState
from service.sources import ParseReport, get_parser
from service.sources.manifest import ListManifest
from service.store.embedded import EmbeddedStore
from service.sync.fetch import Fetcher
from service.sync.worker import (
    PARSER_KEY,
    content_hash,
    list_statuses,
    run_forever,
    run_once,
    sync_list,
    sync_lists,
    validate,
)
from tests.conftest import FIXTURE_MIRROR, read_fixture_files
from tests.sync.conftest import TEST_TIMEOUT_S
from tests.sync.mirror_server import MirrorServer

SDN, UN, CONS = "us_ofac_sdn", "un_sc_sanctions", "us_ofac_cons"
SYNCED = (SDN, UN, CONS)


def _excerpt_counts() -> dict[str, int]:
    """Records in each excerpt, counted without our parsers: CSV lines of the primary file, UN XML elements."""
    un = (FIXTURE_MIRROR / UN / "consolidated.xml").read_bytes()
    return {
        SDN: (FIXTURE_MIRROR / SDN / "sdn.csv").read_bytes().count(b"\r\n"),
        UN: un.count(b"<INDIVIDUAL>") + un.count(b"<ENTITY>"),
        CONS: (FIXTURE_MIRROR / CONS / "cons_prim.csv").read_bytes().count(b"\r\n"),
    }


COUNTS = _excerpt_counts()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00.000Z"><INDIVIDUALS><INDIVIDUAL>
<FIRST_NAME>&lol9;</FIRST_NAME><REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS>
<ENTITIES/></CONSOLIDATED_LIST>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00.000Z"><INDIVIDUALS><INDIVIDUAL>
<FIRST_NAME>&xxe;</FIRST_NAME><REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS>
<ENTITIES/></CONSOLIDATED_LIST>
"""


def mirror_file(folder: Path, list_id: str, name: str) -> bytes:
    return (folder / list_id / name).read_bytes()


def first_rows(data: bytes, n: int) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:n])


@pytest.fixture(scope="module")
def synced_dir(
    fixture_mirror: Path, manifests: dict[str, ListManifest], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A data dir holding a good sync of three real list excerpts (synced once; tests work on copies)."""
    data_dir = tmp_path_factory.mktemp("synced") / "data"
    server = MirrorServer(fixture_mirror)
    try:
        store = EmbeddedStore(data_dir)
        with Fetcher(mirror=server.url, timeout_s=30, retries=1, backoff_s=0.01) as f:
            results = sync_lists([manifests[i] for i in SYNCED], store, f)
        assert [r.status.status for r in results] == [SyncState.OK] * 3, [r.status.error for r in results]
        store.close()
    finally:
        server.close()
    return data_dir


@pytest.fixture
def good_store(synced_dir: Path, tmp_path: Path) -> Iterator[EmbeddedStore]:
    data_dir = tmp_path / "data"
    shutil.copytree(synced_dir, data_dir)
    store = EmbeddedStore(data_dir)
    yield store
    store.close()


def test_sync_publishes_real_lists(synced_dir: Path, fixture_mirror: Path) -> None:
    store = EmbeddedStore(synced_dir)
    index = json.loads((fixture_mirror / "MIRROR.json").read_text())
    for list_id in SYNCED:
        status = store.get_status(list_id)
        snap = store.load_snapshot(list_id)
        assert status is not None and snap is not None
        assert status.status is SyncState.OK and status.error is None
        assert status.entities == len(snap.entities) == COUNTS[list_id]
        assert status.version == snap.version and status.fetched_at and status.checked_at
        # The raw files of the published version are kept byte for byte, with their sha256.
        raw = store.load_raw(list_id)
        expected = {f["file"]: f["sha256"] for f in index["lists"][list_id]}
        assert {n: hashlib.sha256(b).hexdigest() for n, b in raw.items()} == expected
        assert dict(snap.files_sha256) == expected
        (diff,) = store.diffs(list_id)
        assert diff.old_version is None and len(diff.added) == COUNTS[list_id] and not diff.removed
    # OFAC CSV carries no date: the version is the content hash. The UN file carries dateGenerated.
    sdn = store.get_status(SDN)
    assert sdn is not None and sdn.published_at is None
    sdn_snap = store.load_snapshot(SDN)
    assert sdn_snap is not None
    # Records the parser left without a version carry the list version they were published in.
    assert {e.source.version for e in sdn_snap.entities if e.source} == {sdn.version}
    assert sdn.version == f"sha256:{content_hash(read_fixture_files(SDN))[:12]}"
    un = store.get_status(UN)
    assert un is not None and un.version is not None and un.version.startswith("2026-02-27")
    assert un.published_at == un.version
    snap = store.load_snapshot(UN)
    assert snap is not None
    badege = next(e for e in snap.entities if e.id == "un_sc_sanctions:CDi.001")
    assert "ERIC" in badege.name.full and "BADEGE" in badege.name.full


def test_sync_unchanged_costs_one_conditional_request_per_resource(
    good_store: EmbeddedStore, fetcher: Fetcher, mirror_server: MirrorServer, manifests: dict[str, ListManifest]
) -> None:
    generation = good_store.generation()
    before = {i: good_store.get_status(i) for i in SYNCED}
    results = sync_lists([manifests[i] for i in SYNCED], good_store, fetcher)
    assert [r.status.status for r in results] == [SyncState.UNCHANGED] * 3
    for r in results:
        previous = before[r.list_id]
        assert previous is not None
        assert r.status.version == previous.version and r.status.entities == previous.entities
        assert r.status.checked_at is not None and r.status.fetched_at == previous.fetched_at
        assert r.parse_s == 0.0 and r.diff is None
    assert good_store.generation() == generation
    requests = mirror_server.state.requests
    resources = sum(len(manifests[i].resources) for i in SYNCED)
    assert len(requests) == resources == 9
    assert all(r.status == 304 and r.conditional for r in requests)


URL = r"http://127\.0\.0\.1:\d+"
COLLAPSED = (
    rf"entity count collapsed: 10 entities where the last good version had {COUNTS[SDN]} "
    rf"\(a {1 - 10 / COUNTS[SDN]:.0%} drop; more than 50%"
)
FAULTS = [
    # (list, file, fault or replacement body, expected error)
    pytest.param(
        UN,
        "consolidated.xml",
        "500",
        rf"^fetch: HTTP 500 Internal Server Error from {URL}/{UN}/consolidated\.xml \(gave up after 3 attempts\)$",
        id="500",
    ),
    pytest.param(SDN, "add.csv", "404", rf"^fetch: HTTP 404 Not Found from {URL}/us_ofac_sdn/add\.csv$", id="404"),
    pytest.param(
        UN, "consolidated.xml", "hang", r"^fetch: timed out after 0\.5 s fetching .*consolidated\.xml", id="hang"
    ),
    pytest.param(SDN, "sdn.csv", "truncate", r"^fetch: truncated or broken response from .*sdn\.csv", id="truncated"),
    pytest.param(SDN, "sdn.csv", "empty", r"^fetch: empty body from .*sdn\.csv \(HTTP 200 with 0 bytes\)$", id="empty"),
    pytest.param(UN, "consolidated.xml", b"malformed", r"^parse: .*malformed XML", id="malformed-xml"),
    pytest.param(UN, "consolidated.xml", BILLION_LAUGHS, r"^parse: .*refused hostile XML", id="billion-laughs"),
    pytest.param(UN, "consolidated.xml", XXE, r"^parse: .*refused hostile XML", id="xxe"),
    pytest.param(SDN, "sdn.csv", b"collapsed", rf"^validate: {COLLAPSED}", id="collapsed"),
    pytest.param(
        UN, "consolidated.xml", b"older", r"^validate: the publisher's date went backwards: 2026-02-2", id="older"
    ),
]


@pytest.mark.parametrize(("list_id", "name", "fault", "message"), FAULTS)
def test_sync_fault_keeps_last_good_snapshot(
    good_store: EmbeddedStore,
    mirror_server: MirrorServer,
    fixture_mirror: Path,
    manifests: dict[str, ListManifest],
    list_id: str,
    name: str,
    fault: str | bytes,
    message: str,
) -> None:
    before = good_store.get_status(list_id)
    old_raw = good_store.load_raw(list_id)
    generation = good_store.generation()
    assert before is not None and before.version is not None and before.entities == COUNTS[list_id]
    if fault == b"malformed":
        whole = mirror_file(fixture_mirror, UN, name)
        fault = whole[: len(whole) // 2]  # the real file cut mid-element
    elif fault == b"older":  # a stale CDN copy: the real file with an earlier dateGenerated
        fault = mirror_file(fixture_mirror, UN, name).replace(
            b'dateGenerated="2026-02-27', b'dateGenerated="2026-02-20', 1
        )
    elif fault == b"collapsed":
        fault = first_rows(mirror_file(fixture_mirror, SDN, name), 10)
    if isinstance(fault, bytes):
        mirror_server.serve_bytes(list_id, name, fault)
    else:
        mirror_server.fault(list_id, name, fault)

    with Fetcher(
        mirror=mirror_server.url, timeout_s=0.5 if fault == "hang" else TEST_TIMEOUT_S, retries=2, backoff_s=0.01
    ) as f:
        result = sync_list(manifests[list_id], good_store, f)

    after = good_store.get_status(list_id)
    assert after is not None and after == result.status
    assert after.status is SyncState.FAILED
    assert after.error is not None and re.search(message, after.error), after.error
    # The last good version stays in service, complete: same version, same count, same raw files.
    assert (after.version, after.entities, after.fetched_at) == (before.version, before.entities, before.fetched_at)
    snap = EmbeddedStore(good_store.data_dir).load_snapshot(list_id)
    assert snap is not None and snap.version == before.version and len(snap.entities) == COUNTS[list_id]
    assert good_store.load_raw(list_id) == old_raw
    assert good_store.generation() == generation
    assert len(good_store.diffs(list_id)) == 1
    # Once the publisher is fixed, the next sync is back to normal (and the bad validators were not kept).
    mirror_server.reset()
    with Fetcher(mirror=mirror_server.url, timeout_s=TEST_TIMEOUT_S) as f:
        healed = sync_list(manifests[list_id], good_store, f)
    assert healed.status.status is SyncState.UNCHANGED and healed.status.error is None


def test_sync_collapse_threshold_is_configurable(
    good_store: EmbeddedStore,
    fetcher: Fetcher,
    mirror_server: MirrorServer,
    fixture_mirror: Path,
    manifests: dict[str, ListManifest],
) -> None:
    mirror_server.serve_bytes(SDN, "sdn.csv", first_rows(mirror_file(fixture_mirror, SDN, "sdn.csv"), 10))
    result = sync_list(manifests[SDN], good_store, fetcher, max_entity_drop=1.0)
    assert result.status.status is SyncState.OK and result.status.entities == 10
    assert result.diff is not None and len(result.diff.removed) == COUNTS[SDN] - 10


def test_sync_redirect_to_real_file(
    store: EmbeddedStore, fetcher: Fetcher, mirror_server: MirrorServer, manifests: dict[str, ListManifest]
) -> None:
    mirror_server.fault(UN, "consolidated.xml", "redirect")
    result = sync_list(manifests[UN], store, fetcher)
    assert result.status.status is SyncState.OK and result.status.entities == COUNTS[UN]
    assert [r.status for r in mirror_server.requests_for(UN)] == [302, 200]


def test_sync_first_sync_failure_records_error_without_version(
    store: EmbeddedStore, fetcher: Fetcher, mirror_server: MirrorServer, manifests: dict[str, ListManifest]
) -> None:
    mirror_server.fault(CONS, "cons_prim.csv", "500")
    results = sync_lists([manifests[CONS], manifests[UN]], store, fetcher)
    cons, un = (r.status for r in results)
    assert cons.status is SyncState.FAILED and cons.version is None and cons.entities == 0
    assert cons.error is not None and "cons_prim.csv" in cons.error
    assert store.load_snapshot(CONS) is None
    # Each list succeeds or fails alone.
    assert un.status is SyncState.OK and un.entities == COUNTS[UN]


def test_sync_missing_optional_resource_is_a_warning(
    store: EmbeddedStore, fetcher: Fetcher, mirror_server: MirrorServer, manifests: dict[str, ListManifest]
) -> None:
    mirror_server.fault(CONS, "cons_comments.csv", "404")
    result = sync_list(manifests[CONS], store, fetcher)
    assert result.status.status is SyncState.OK and result.status.entities == COUNTS[CONS]
    assert any("cons_comments.csv" in w for w in result.warnings)
    assert set(store.load_raw(CONS)) == {"cons_prim.csv", "cons_add.csv", "cons_alt.csv"}


def test_sync_upstream_change_publishes_a_diff(
    good_store: EmbeddedStore,
    fetcher: Fetcher,
    mirror_server: MirrorServer,
    fixture_mirror: Path,
    manifests: dict[str, ListManifest],
) -> None:
    text = mirror_file(fixture_mirror, UN, "consolidated.xml").decode("utf-8")
    text = text.replace('dateGenerated="2026-02-27T00:00:09.554Z"', 'dateGenerated="2026-02-28T00:00:09.554Z"')
    blocks = list(re.finditer(r"<INDIVIDUAL>.*?</INDIVIDUAL>", text, re.DOTALL))
    first, second = blocks[0], blocks[1]
    assert "<REFERENCE_NUMBER>CDi.001<" in first.group() and "<REFERENCE_NUMBER>CDi.002<" in second.group()
    renamed = re.sub(r"<FIRST_NAME>[^<]*</FIRST_NAME>", "<FIRST_NAME>RENAMED</FIRST_NAME>", second.group(), count=1)
    text = text[: first.start()] + renamed + text[second.end() :]
    mirror_server.serve_bytes(UN, "consolidated.xml", text.encode("utf-8"))

    result = sync_list(manifests[UN], good_store, fetcher)
    assert result.status.status is SyncState.OK, result.status.error
    assert result.status.version is not None and result.status.version.startswith("2026-02-28")
    assert result.status.entities == COUNTS[UN] - 1
    diff = result.diff
    assert diff is not None
    assert diff.old_version is not None and diff.old_version.startswith("2026-02-27")
    assert diff.removed == ("un_sc_sanctions:CDi.001",)
    assert diff.changed == ("un_sc_sanctions:CDi.002",)
    assert diff.added == ()
    assert [d.new_version for d in good_store.diffs(UN)] == [result.status.version, diff.old_version]


def test_sync_reparses_when_the_parser_changed(
    good_store: EmbeddedStore, fetcher: Fetcher, manifests: dict[str, ListManifest]
) -> None:
    validators = good_store.get_validators(UN)
    good_store.put_validators(UN, {**validators, PARSER_KEY: {"fingerprint": "older parser"}})
    before = good_store.get_status(UN)
    result = sync_list(manifests[UN], good_store, fetcher)
    assert result.status.status is SyncState.OK
    assert before is not None and result.status.version == before.version
    assert result.diff is not None and not (result.diff.added or result.diff.removed or result.diff.changed)
    # ... and only once.
    assert sync_list(manifests[UN], good_store, fetcher).status.status is SyncState.UNCHANGED


def test_sync_from_mirror_folder_then_unchanged(
    store: EmbeddedStore, fixture_mirror: Path, manifests: dict[str, ListManifest]
) -> None:
    with Fetcher(mirror=str(fixture_mirror)) as f:
        first = sync_list(manifests[CONS], store, f)
        second = sync_list(manifests[CONS], store, f)
    assert first.status.status is SyncState.OK and first.status.entities == COUNTS[CONS]
    assert second.status.status is SyncState.UNCHANGED


def test_validate_refuses_duplicate_and_foreign_ids(manifests: dict[str, ListManifest]) -> None:
    entities = list(get_parser(CONS)(read_fixture_files(CONS), ParseReport(), list_id=CONS))
    assert len(entities) == COUNTS[CONS]
    validate(manifests[CONS], entities, COUNTS[CONS], 0.5)
    with pytest.raises(ValidationError, match=r"1 duplicate entity ids \(e\.g\. us_ofac_cons:"):
        validate(manifests[CONS], [*entities, entities[7]], None, 0.5)
    with pytest.raises(ValidationError, match="another list's id"):
        validate(manifests[UN], entities, None, 0.5)
    with pytest.raises(ValidationError, match="parsed 0 entities"):
        validate(manifests[CONS], [], None, 0.5)


def test_list_statuses_reports_never_and_stale(good_store: EmbeddedStore, manifests: dict[str, ListManifest]) -> None:
    chosen = [manifests[i] for i in (*SYNCED, "eu_fsf")]
    now = datetime.now(UTC)
    fresh = {s.id: s for s in list_statuses(good_store, chosen, now=now)}
    assert fresh[SDN].status is SyncState.OK and fresh[SDN].title == manifests[SDN].title
    assert fresh["eu_fsf"] == ListStatus(id="eu_fsf", title=manifests["eu_fsf"].title, status=SyncState.NEVER)
    later = now + timedelta(seconds=2 * manifests[SDN].refresh_interval_s + 60)
    stale = {s.id: s for s in list_statuses(good_store, chosen, now=later)}
    assert stale[SDN].status is SyncState.STALE and stale[SDN].version == fresh[SDN].version
    # A failed list stays failed (its error is the news), however old.
    good_store.put_status(replace(fresh[UN], status=SyncState.FAILED, error="fetch: HTTP 500"))
    assert {s.id: s for s in list_statuses(good_store, chosen, now=later)}[UN].status is SyncState.FAILED


def test_run_once_honours_the_sync_lock(
    good_store: EmbeddedStore, fetcher: Fetcher, manifests: dict[str, ListManifest]
) -> None:
    with good_store.sync_lock(wait_s=0) as held:
        assert held
        assert run_once([manifests[UN]], EmbeddedStore(good_store.data_dir), fetcher) is None
    results = run_once([manifests[UN]], good_store, fetcher)
    assert results is not None and results[0].status.status is SyncState.UNCHANGED


def test_run_forever_syncs_until_stopped(
    store: EmbeddedStore, fetcher: Fetcher, manifests: dict[str, ListManifest]
) -> None:
    stop = threading.Event()
    cycles: list[list[str]] = []

    def on_change(results: list) -> None:  # type: ignore[type-arg]
        cycles.append([r.status.status.value for r in results])
        stop.set()

    thread = threading.Thread(
        target=run_forever,
        args=([manifests[CONS]], store, fetcher),
        kwargs={"interval_s": 0.05, "stop": stop, "on_change": on_change},
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert cycles == [["ok"]]
    status = store.get_status(CONS)
    assert status is not None and status.entities == COUNTS[CONS]


# The default lists, each with an excerpt in tests/fixtures/mirror.
EXCERPT_LISTS = (
    "au_dfat_sanctions",
    "ca_dfatd_sema_sanctions",
    "eu_fsf",
    "gb_fcdo_sanctions",
    "un_sc_sanctions",
    "us_ofac_cons",
    "us_ofac_sdn",
)


@pytest.mark.parametrize("list_id", EXCERPT_LISTS)
def test_sync_each_default_list_over_http_keeps_its_files_byte_for_byte(
    store: EmbeddedStore,
    fetcher: Fetcher,
    mirror_server: MirrorServer,
    manifests: dict[str, ListManifest],
    list_id: str,
) -> None:
    assert {i for i, m in manifests.items() if m.default} == set(EXCERPT_LISTS)
    result = sync_list(manifests[list_id], store, fetcher)
    assert result.status.status is SyncState.OK, result.status.error
    assert store.load_raw(list_id) == read_fixture_files(list_id)
    snap = store.load_snapshot(list_id)
    assert snap is not None and result.status.entities == len(snap.entities) >= 5
    requests = mirror_server.requests_for(list_id)
    assert requests and {r.status for r in requests} == {200}


# --- the whole lists (../shared) -------------------------------------------------------------------------------

# ../shared/lists/MANIFEST.md's figures for each default list, and the parse report's counts that follow from them
# (orphan companion rows: the SDN companions are newer than sdn.csv; the AU sheet has 9,560 rows, 7 of them blank).
WHOLE_LISTS: dict[str, dict[str, int]] = {
    SDN: {
        "entities": 14_965,
        "person": 6_854,
        "organization": 6_884,
        "vessel": 851,
        "aircraft": 376,
        "orphan_addresses": 4_893,
        "orphan_aliases": 2_460,
        "orphan_comments": 6,
        "weak_aliases": 3_695,
    },
    CONS: {"entities": 442, "person": 79, "organization": 363, "comments_joined": 10, "orphan_addresses": 0},
    UN: {"person": 730, "organization": 273},
    "ca_dfatd_sema_sanctions": {"person": 3_334, "organization": 1_316, "vessel": 109},
    "au_dfat_sanctions": {"entities": 3_062, "kind.person": 2_316, "kind.organization": 746, "name_rows": 9_553},
    "eu_fsf": {"person": 4, "organization": 1},
    "gb_fcdo_sanctions": {"person": 2, "organization": 2, "vessel": 1},
}


def test_sync_every_whole_list_from_the_shared_mirror(
    mirror_dir: Path, manifests: dict[str, ListManifest], tmp_path: Path
) -> None:
    """Every default list, whole, through the real worker: each publishes with its MANIFEST.md figures."""
    chosen = [m for m in manifests.values() if m.default]
    assert {m.id for m in chosen} == set(WHOLE_LISTS)
    store = EmbeddedStore(tmp_path / "data")
    try:
        with Fetcher(mirror=str(mirror_dir)) as f:
            results = run_once(chosen, store, f)
        assert results is not None
        assert {r.list_id: r.status.error for r in results if r.status.status is not SyncState.OK} == {}
        got = {r.list_id: {k: r.counts.get(k) for k in WHOLE_LISTS[r.list_id]} for r in results}
        assert got == WHOLE_LISTS
        for r in results:
            snap = store.load_snapshot(r.list_id)
            assert snap is not None and r.status.entities == len(snap.entities) > 0
    finally:
        store.close()


def test_sync_with_a_lost_lease_writes_nothing_and_reports_every_list(
    good_store: EmbeddedStore, mirror_server: MirrorServer, fetcher: Fetcher, manifests: dict[str, ListManifest]
) -> None:
    # A new upstream version of the UN list, so the sync really wants to publish.
    original = mirror_file(mirror_server.state.root, UN, "consolidated.xml")
    mirror_server.state.bodies[f"/{UN}/consolidated.xml"] = original.replace(
        b'dateGenerated="2026-02-27', b'dateGenerated="2026-03-05'
    )
    before = {i: good_store.get_status(i) for i in (UN, CONS)}
    gen = good_store.generation()
    with good_store.sync_lock(wait_s=0) as lease:
        assert lease
    # The lease ended (as if it had expired) and another worker holds the lock now.
    with EmbeddedStore(good_store.data_dir).sync_lock(wait_s=0) as other:
        assert other
        results = sync_lists([manifests[UN], manifests[CONS]], good_store, fetcher, fence=lease)
    assert [(r.list_id, r.status.status, r.lock_lost) for r in results] == [
        (UN, SyncState.FAILED, True),
        (CONS, SyncState.FAILED, True),
    ]
    assert results[0].status.error is not None and "no longer holds the sync lock" in results[0].status.error
    assert results[1].status.error is not None and "lost the sync lock" in results[1].status.error
    assert good_store.generation() == gen
    assert {i: good_store.get_status(i) for i in (UN, CONS)} == before  # not even a failed status was written
