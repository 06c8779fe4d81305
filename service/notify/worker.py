"""The delivery worker: from the monitoring event log to each subscribed receiver, at least once, never lost.

One thread per server process (started and stopped by the app's lifespan) loops over two steps:

1. Fan-out. Each webhook has a cursor: the event-log position it has been queued up to. The worker reads the
   events after it, stores one delivery per event the webhook subscribes to, and moves the cursor, in one store
   write. Cursors, not a queue filled by whoever appends events: the monitoring code only appends to its log and
   knows nothing of receivers; a webhook created later starts at the log's end; a crash between reading and
   writing just reads the same events again (a delivery is keyed by webhook and event, so it is stored once).
   Positions are safe to resume from because both stores assign them inside the write that appends the event
   (one SQLite transaction, one Lua script): a reader never sees position n+1 before n.
2. Delivery. The worker claims due deliveries under a lease (an owner token and an expiry, held in the store),
   POSTs each event's stored bytes, signed, and records the outcome with its token. The lease is why several
   processes or replicas can all run this worker: a delivery is attempted by one of them at a time, and an
   outcome from a holder whose lease ran out (another took it over) is refused. A process that dies mid-attempt
   leaves its lease to expire (LEASE_MARGIN_S beyond the longest attempt), then another sends it: at least once,
   and receivers de-duplicate on `Sanctions-Event-Id`.

Retries: 2xx is delivered; anything else (another status, including redirects, which are not followed; a
connection error; a timeout) is tried again after a delay drawn uniformly from [0, min(cap, base * 2^(n-1)))
after the n-th failure ("full jitter": receivers coming back from an outage are not hit by every sender at
once), base 5 s and cap 1 h by default. An attempt that fails once the retry window (24 h by default) since the
delivery was queued has passed makes it dead (after at least three attempts, so that a server that was down
itself for longer than the window does not give its backlog up at the first failure): kept, counted and listed
until an operator replays it.

Store outages (Redis down) are logged and waited out with a growing pause; nothing is lost because nothing is
held only in memory. Logs name webhook ids, event ids, status codes and error classes: never bodies or URLs
(events carry screened names; URLs may carry tokens).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson
import structlog

from service import __version__
from service.errors import StoreError
from service.model import Delivery, DeliveryState, Event, Webhook
from service.notify.signing import ATTEMPT_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signature
from service.store.base import Store

log = structlog.get_logger("service.notify")

USER_AGENT = f"sanctions-screening/{__version__} (webhooks)"
FANOUT_PAGE = 500  # events read per webhook cursor per step
CONCURRENCY = 4  # attempts in flight per process: one slow receiver does not hold up the others
# A lease covers the longest attempt (httpx's timeout applies per phase: connect, write, read the status line)
# plus this much for the store round trips around it.
LEASE_MARGIN_S = 30.0
TIMEOUT_PHASES = 3
STORE_BACKOFF_MAX_S = 30.0  # longest pause between tries while the store is unreachable
COUNTS_EVERY_S = 15.0  # how often the pending/dead gauges are refreshed from the store when nothing happens
PRUNE_EVERY_S = 3600.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a failed delivery again, and when to give up (see the module docstring)."""

    window_s: float = 24 * 3600.0  # SANCTIONS_WEBHOOK_RETRY_HOURS
    base_s: float = 5.0
    cap_s: float = 3600.0
    # Even past the window, a delivery is tried this often before it is given up: a server that was itself down
    # for longer than the window does not dead-letter its whole backlog on the first failure after it is back.
    min_attempts: int = 3

    def delay_s(self, failures: int, rng: random.Random) -> float:
        """Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015) after `failures` failures."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, min(failures - 1, 62)))
        return rng.uniform(0.0, ceiling)

    def gives_up(self, queued_at: float, now: float, attempts: int) -> bool:
        """After the `attempts`-th failure at `now`: dead-letter it?"""
        return now - queued_at >= self.window_s and attempts >= self.min_attempts


Outcome = Callable[[str], None]
"""Told "delivered", "retry" or "dead" after each recorded attempt (the server counts them)."""


class DeliveryWorker:
    """Fans the event log out to webhooks and delivers, in one background thread (`start`/`stop`), or one step
    at a time (`step`, for tests and tools)."""

    def __init__(
        self,
        store: Store,
        *,
        policy: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        poll_s: float = 1.0,
        keep_delivered_s: float = 30 * 86400.0,
        on_outcome: Outcome = lambda _: None,
    ) -> None:
        self.store = store
        self.policy = policy or RetryPolicy()
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.keep_delivered_s = keep_delivered_s
        self.lease_s = TIMEOUT_PHASES * timeout_s + LEASE_MARGIN_S
        self.owner = secrets.token_hex(16)  # this process's lease token
        self.counts: dict[DeliveryState, int] = {}  # last known, for the gauges
        self.store_error: str | None = None
        self._on_outcome = on_outcome
        self._rng = random.Random()  # noqa: S311 (jitter, not a secret)
        # made at the first delivery (`_http`): an httpx client loads the CA certificates, 20-40 ms of every worker's
        # start before it could serve, and most servers deliver no webhook
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="sanctions-webhook")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._counted_at = 0.0
        self._pruned_at = 0.0

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sanctions-webhooks", daemon=True)
        self._thread.start()
        log.info("webhooks.worker_started", lease_s=self.lease_s, retry_window_s=self.policy.window_s)

    def wake(self) -> None:
        """Look for work now rather than at the next poll (after a webhook is created or replayed)."""
        self._wake.set()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop after the attempts in flight (each bounded by the timeout); what is left stays in the store."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._client_lock:
            if self._client is not None:
                self._client.close()

    def _http(self) -> httpx.Client:
        """The one client the deliveries share (its connection pool), made at the first delivery."""
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout_s),
                    follow_redirects=False,  # a redirect is a failure: the receiver's URL is the one the operator gave
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    def _run(self) -> None:
        pause = self.poll_s
        while not self._stop.is_set():
            busy = False
            try:
                busy = self.step()
                if self.store_error is not None:
                    log.info("webhooks.store_back")
                self.store_error = None
                pause = self.poll_s
            except StoreError as exc:
                if self.store_error is None:
                    log.warning("webhooks.store_unavailable", error=str(exc))
                self.store_error = type(exc).__name__
                pause = min(STORE_BACKOFF_MAX_S, max(pause, self.poll_s) * 2)
            except Exception:
                # Boundary: a bug here must not end deliveries for the life of the process; the work is in the
                # store and is picked up again on the next round.
                log.exception("webhooks.step_crashed")
                pause = min(STORE_BACKOFF_MAX_S, max(pause, self.poll_s) * 2)
            if not busy:
                self._wake.wait(pause)
                self._wake.clear()

    # --- one round -----------------------------------------------------------------------------------------------
    def step(self, now: float | None = None) -> bool:
        """Fan out, then attempt the deliveries due; True when there may be more to do at once."""
        hooks = {w.id: w for w in self.store.webhooks.list_webhooks()}
        more = self.fan_out(hooks)
        attempted = self.deliver(hooks, now)
        self._housekeeping(changed=more or attempted > 0)
        return more or attempted > 0

    def fan_out(self, hooks: Mapping[str, Webhook]) -> bool:
        """Queue the events after each webhook's cursor; True when a page was full (more to read)."""
        if not hooks:
            return False
        by_cursor: dict[int, list[Webhook]] = {}
        for webhook_id, cursor in self.store.webhooks.cursors().items():
            if webhook_id in hooks:
                by_cursor.setdefault(cursor, []).append(hooks[webhook_id])
        more = False
        for cursor, webhooks in by_cursor.items():
            events = self.store.monitoring.events_since(cursor, limit=FANOUT_PAGE)
            if not events:
                continue
            more = more or len(events) == FANOUT_PAGE
            now = time.time()
            for webhook in webhooks:
                wanted = [_delivery(webhook.id, e, now) for e in events if e.type in webhook.events]
                if self.store.webhooks.enqueue(webhook.id, wanted, cursor=events[-1].seq) and wanted:
                    log.info("webhooks.queued", webhook_id=webhook.id, events=len(wanted), up_to=events[-1].seq)
        return more

    def deliver(self, hooks: Mapping[str, Webhook], now: float | None = None) -> int:
        """Claim up to CONCURRENCY due deliveries and attempt them in parallel; returns how many."""
        claimed = self.store.webhooks.claim(
            owner=self.owner, now=now if now is not None else time.time(), lease_s=self.lease_s, limit=CONCURRENCY
        )
        jobs = []
        for d in claimed:
            webhook = hooks.get(d.webhook_id) or self.store.webhooks.get_webhook(d.webhook_id)
            if webhook is not None:  # deleted since the claim: nothing to send, its deliveries are gone
                jobs.append(self._pool.submit(self._attempt, webhook, d))
        for job in jobs:
            job.result()
        return len(claimed)

    def _attempt(self, webhook: Webhook, d: Delivery) -> None:
        """POST one delivery and record the outcome. A boundary: one receiver's failure is only its own."""
        try:
            attempt = d.attempts + 1
            started = time.time()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(webhook.secret, d.body, int(started)),
                EVENT_ID_HEADER: d.event_id,
                EVENT_TYPE_HEADER: d.event_type.value,
                ATTEMPT_HEADER: str(attempt),
            }
            error = ""
            status: int | None = None
            try:
                # Streamed and never read: the receiver's answer body is not ours to download or keep.
                with self._http().stream("POST", webhook.url, content=d.body, headers=headers) as response:
                    status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = type(exc).__name__
            self._record(webhook, d, attempt, error, status)
        except StoreError as exc:
            # The outcome is not recorded: the lease runs out and the delivery is attempted again (at least once).
            log.warning("webhook.outcome_not_recorded", webhook_id=d.webhook_id, event_id=d.event_id, error=str(exc))
        except Exception:
            log.exception("webhook.attempt_crashed", webhook_id=d.webhook_id, event_id=d.event_id)

    def _record(self, webhook: Webhook, d: Delivery, attempt: int, error: str, status: int | None) -> None:
        at = time.time()
        ids = {"webhook_id": webhook.id, "event_id": d.event_id, "attempt": attempt}
        if not error:
            state, outcome, next_at = DeliveryState.DELIVERED, "delivered", 0.0
        elif self.policy.gives_up(d.queued_at, at, attempt):
            state, outcome, next_at = DeliveryState.DEAD, "dead", 0.0
        else:
            state, outcome, next_at = DeliveryState.PENDING, "retry", at + self.policy.delay_s(attempt, self._rng)
        kept = self.store.webhooks.record_attempt(
            d.webhook_id, d.event_id, owner=self.owner, state=state, at=at, next_attempt_at=next_at, error=error
        )
        if not kept:
            log.info("webhook.lease_lost", **ids, status=status, error=error or None)
            return
        self._on_outcome(outcome)
        if outcome == "delivered":
            log.info("webhook.delivered", **ids, status=status)
        elif outcome == "dead":
            log.warning("webhook.dead_lettered", **ids, error=error)
        else:
            log.info("webhook.retry", **ids, error=error, retry_in_s=round(next_at - at, 1))

    def _housekeeping(self, *, changed: bool) -> None:
        now = time.monotonic()
        if changed or now - self._counted_at >= COUNTS_EVERY_S:
            self._counted_at = now
            self.counts = self.store.webhooks.counts()
        if now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now
            pruned = self.store.webhooks.prune_delivered(time.time() - self.keep_delivered_s)
            if pruned:
                log.info("webhooks.pruned", deliveries=pruned)


def _delivery(webhook_id: str, event: Event, now: float) -> Delivery:
    # The bytes are fixed here, once: every attempt sends (and signs) exactly these.
    return Delivery(
        webhook_id=webhook_id,
        event_id=event.id,
        event_type=event.type,
        seq=event.seq,
        body=orjson.dumps(event.body),
        queued_at=now,
        next_attempt_at=now,
    )
