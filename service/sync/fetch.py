"""Download list resources over HTTP (the only httpx user) or read them from a mirror folder.

Conditional GET, bounded retries with backoff and jitter, a streaming size cap, and no empty or truncated body
ever returned as data. `SANCTIONS_MIRROR` (a base URL or a folder) replaces official URLs: `<mirror>/<list id>/<file>`.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from service import __version__
from service.errors import ConfigError, FetchError
from service.redact import redact_url
from service.sources.manifest import Resource

log = structlog.get_logger(__name__)

USER_AGENT = f"sanctions-screening/{__version__} (sanctions list sync; python-httpx)"
# A list id or a resource file name as it may appear in a mirror path: no separators, no "..".
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Cap on a server's Retry-After so one publisher cannot stall the whole sync.
MAX_RETRY_AFTER_S = 60.0


class ResourceNotFoundError(FetchError):
    """HTTP 404/410 or a file missing from the mirror folder: fatal for required resources only."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One resource: its bytes (None when unchanged since `validators` were stored) and the new validators."""

    name: str
    data: bytes | None
    validators: dict[str, str] = field(default_factory=dict)
    source: str = ""  # URL without query or credentials, or the mirror file path

    @property
    def unchanged(self) -> bool:
        return self.data is None


class _TransientError(Exception):
    """A failure worth retrying (connection, timeout, 5xx, 429, broken body)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER_S))


class Fetcher:
    """Fetch list resources. Thread-compatible, not thread-safe: one Fetcher per sync run or worker thread."""

    def __init__(
        self,
        *,
        mirror: str | None = None,
        timeout_s: float = 60.0,
        retries: int = 3,
        max_bytes: int = 200 * 1024 * 1024,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        deadline_s: float | None = 600.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_bytes = max_bytes
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.deadline_s = deadline_s  # whole-download budget per attempt: a slow drip must not hang the sync
        self._mirror_url: str | None = None
        self._mirror_dir: Path | None = None
        if mirror:
            if mirror.startswith(("http://", "https://")):
                self._mirror_url = mirror.rstrip("/")
            else:
                folder = Path(mirror.removeprefix("file://")).expanduser()
                if not folder.is_dir():
                    raise ConfigError(f"SANCTIONS_MIRROR folder {folder} does not exist")
                self._mirror_dir = folder
        self._client = httpx.Client(
            follow_redirects=True,
            max_redirects=10,
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def location(self, list_id: str, resource: Resource) -> str:
        """Where `resource` is read from: the official URL, or its place in the mirror."""
        if self._mirror_url is None and self._mirror_dir is None:
            return resource.url
        for part in (list_id, resource.name):
            if not _SAFE_NAME.match(part):
                raise FetchError(f"unsafe name {part!r} for a mirror path")
        if self._mirror_dir is not None:
            return str(self._mirror_dir / list_id / resource.name)
        return f"{self._mirror_url}/{list_id}/{resource.name}"

    def fetch(self, list_id: str, resource: Resource, validators: Mapping[str, str] | None = None) -> Fetched:
        """Fetch one resource. `validators` are those stored with the last good copy (None: fetch in full).

        Raises ResourceNotFoundError (404/410, missing file) or FetchError, whose message names the URL and
        what happened.
        """
        where = self.location(list_id, resource)
        if self._mirror_dir is not None:
            return self._read_file(resource.name, Path(where), validators or {})
        return self._get(resource.name, where, validators or {})

    # --- mirror folder --------------------------------------------------------------------------------------
    def _read_file(self, name: str, path: Path, validators: Mapping[str, str]) -> Fetched:
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise ResourceNotFoundError(f"{path}: not found in the mirror folder") from exc
        except OSError as exc:
            raise FetchError(f"{path}: cannot read ({exc.strerror})") from exc
        if not path.is_file():
            raise FetchError(f"{path}: not a regular file")
        if st.st_size > self.max_bytes:
            raise FetchError(f"{path}: {st.st_size} bytes, over the {self.max_bytes}-byte download cap")
        stamp = {"mtime_ns": str(st.st_mtime_ns), "size": str(st.st_size)}
        if validators.get("sha256") and all(validators.get(k) == v for k, v in stamp.items()):
            return Fetched(name, None, dict(validators), str(path))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"{path}: cannot read ({exc.strerror})") from exc
        if not data:
            raise FetchError(f"{path}: empty file (0 bytes)")
        if len(data) != st.st_size:
            raise FetchError(f"{path}: changed while being read ({len(data)} bytes read, {st.st_size} expected)")
        sha = hashlib.sha256(data).hexdigest()
        new = {**stamp, "sha256": sha}
        if validators.get("sha256") == sha:
            return Fetched(name, None, new, str(path))
        return Fetched(name, data, new, str(path))

    # --- HTTP ------------------------------------------------------------------------------------------------
    def _get(self, name: str, url: str, validators: Mapping[str, str]) -> Fetched:
        headers: dict[str, str] = {}
        if validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._get_once(name, url, headers, validators)
            except _TransientError as exc:
                if attempt > self.retries:
                    raise FetchError(f"{exc} (gave up after {attempt} attempts)") from exc
                # Exponential backoff with full jitter in its upper half, so replicas do not retry in step.
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
                if exc.retry_after_s is not None:
                    delay = max(delay, exc.retry_after_s)
                log.warning(
                    "fetch.retry", url=redact_url(url), attempt=attempt, delay_s=round(delay, 2), error=str(exc)
                )
                time.sleep(delay)

    def _get_once(self, name: str, url: str, headers: Mapping[str, str], validators: Mapping[str, str]) -> Fetched:
        shown = redact_url(url)
        started = time.monotonic()
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                shown = redact_url(resp.url)
                code = resp.status_code
                if code == 304:
                    if not headers:
                        raise FetchError(f"HTTP 304 from {shown} to an unconditional request")
                    new = dict(validators)
                    new.update(_validators_of(resp.headers))
                    return Fetched(name, None, new, shown)
                if code in (404, 410):
                    raise ResourceNotFoundError(f"HTTP {code} {resp.reason_phrase} from {shown}")
                if code == 429 or code >= 500:
                    retry_after = _retry_after_s(resp.headers.get("Retry-After"))
                    raise _TransientError(f"HTTP {code} {resp.reason_phrase} from {shown}", retry_after)
                if code != 200:
                    raise FetchError(f"HTTP {code} {resp.reason_phrase} from {shown} (expected 200)")
                declared = _content_length(resp.headers.get("Content-Length"))
                if declared is not None and declared > self.max_bytes:
                    raise FetchError(f"{shown} declares {declared} bytes, over the {self.max_bytes}-byte download cap")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{shown}: body exceeds the {self.max_bytes}-byte download cap; aborted")
                    if self.deadline_s is not None and time.monotonic() - started > self.deadline_s:
                        raise _TransientError(f"{shown}: download took longer than {self.deadline_s:g} s")
                # Content-Length counts bytes on the wire (before gzip decoding), as num_bytes_downloaded does.
                if declared is not None and resp.num_bytes_downloaded != declared:
                    raise _TransientError(
                        f"truncated body from {shown}: received {resp.num_bytes_downloaded} of {declared} bytes"
                    )
                if not body:
                    raise FetchError(f"empty body from {shown} (HTTP 200 with 0 bytes)")
                return Fetched(name, bytes(body), _validators_of(resp.headers), shown)
        except httpx.TimeoutException as exc:
            what = type(exc).__name__
            raise _TransientError(f"timed out after {self.timeout_s:g} s fetching {shown} ({what})") from exc
        except httpx.RemoteProtocolError as exc:
            # h11 raises this for a body shorter than its Content-Length, and for a dropped connection.
            raise _TransientError(f"truncated or broken response from {shown}: {exc}") from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"too many redirects fetching {shown}") from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"unsupported URL {shown}: {exc}") from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the body from {shown}: {exc}") from exc
        except httpx.TransportError as exc:
            raise _TransientError(f"cannot fetch {shown}: {type(exc).__name__}: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL {shown}: {exc}") from exc


def _content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _validators_of(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    if headers.get("ETag"):
        out["etag"] = headers["ETag"]
    if headers.get("Last-Modified"):
        out["last_modified"] = headers["Last-Modified"]
    return out
