"""`sanctions serve --workers N`: one process loads the lists once, then forks the N workers that serve them.

Why not uvicorn's own worker processes: each of those started from nothing and loaded the lists itself (N loads at
a start, N builds of every published change on the same cores), and all of them accepted from one socket, so a burst
of new connections landed in whichever worker woke first (bench_api: four batch clients connecting at once ran at a
third of the rate of four connecting one after another). Here:

- the supervisor loads the serving state once (from the matcher cache when a process on this data folder built it
  already), freezes it for the garbage collector and forks the workers, which serve at once from the pages they
  share with it;
- each worker accepts on a listening socket of its own, all bound to the one address with SO_REUSEPORT, so the
  kernel spreads new connections over the workers;
- when the store publishes new lists, a child of the supervisor builds them once into the matcher cache, the
  supervisor loads that entry (compact, where a heap that decoded and built is fragmented) and replaces the workers
  (forked together, each taking over as it serves): a new worker takes over the old one's socket and the old one
  is asked to finish its requests and stop only once the new one serves; the socket stays open in the supervisor
  throughout, so no connection waiting in its queue is lost;
- a worker that dies is replaced from the state in memory; the sync loop runs in a process of its own, forked
  before the supervisor starts any thread, so that no fork copies a lock another thread half-holds.

The supervisor keeps the serving state it forked from so that it can replace a worker at once. Linux has
SO_REUSEPORT spreading connections; elsewhere the workers share one socket, as uvicorn's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

from service.api.heap import release_heap, trim_heap
from service.errors import ServiceError
from service.screening.builder import start_child
from service.screening.failed_load import FailedLoad
from service.settings import Settings

if TYPE_CHECKING:
    from service.screening.matcher_cache import MatcherCache
    from service.screening.runtime import SyncRunner
    from service.store import Store

log = structlog.get_logger("service.api")

# How often the supervisor reads the store's generation: a few small file reads (0.18 ms on the real lists) or one
# Redis MGET. Half of it, on average, is part of every list change; 0.25 s before (0.4 s in fact: the loop slept its
# 0.2 s steps past each poll's time).
POLL_S = 0.1
READY_TIMEOUT_S = 120.0  # a replacement worker that does not serve by then is given up (the old one stays)
RESPAWN_DELAY_S = 1.0  # a worker that keeps dying is restarted at most this often
STOP_GRACE_S = 5.0  # beyond uvicorn's own graceful shutdown, before a worker is killed
RETIRE_SIGNAL = signal.SIGUSR2  # to a replaced worker: finish the open connections' requests, then stop
# How long a replaced worker answers requests on its open connections (each with `Connection: close`): clients
# sending at least this often move over without a closed connection under them, and no request is answered from
# the old lists later than this after the new worker serves.
DRAIN_S = 2.0


class _Closing:
    """The app as a worker serves it: once `closing` is set (the worker was replaced), every response carries
    `Connection: close`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.closing = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Any) -> None:
            if self.closing and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


@dataclass(slots=True)
class _Worker:
    slot: int
    pid: int
    ready_fd: int  # read end of the pipe the worker writes one byte to once it serves
    started: float
    ready: bool = False


def bind_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` listening sockets on (host, port): one per worker with SO_REUSEPORT where the system has it (the
    kernel then spreads connections over them), else one socket that every worker shares."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    reuse_port = sys.platform.startswith("linux")  # elsewhere SO_REUSEPORT does not spread connections
    if reuse_port:
        # A socket without SO_REUSEPORT cannot bind where anything listens: that refuses the address when another
        # server has it, where the group below would silently join another `serve --workers` of the same user.
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT are no listener
            probe.bind(address)
    sockets: list[socket.socket] = []
    try:
        for _ in range(count if reuse_port else 1):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(2048)  # uvicorn's default backlog
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets if reuse_port else sockets * count


class Supervisor:
    """The parent process of `serve --workers N` (module docstring). `run()` returns the exit code."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str,
        port: int,
        workers: int,
        uvicorn_options: dict[str, Any],
        metrics_dir: str,
        poll_s: float = POLL_S,
    ) -> None:
        self.settings = settings
        # The workers serve; the sync loop runs in a process of its own (or not at all).
        self.worker_settings = settings.model_copy(update={"sync_on_start": False})
        self.host = host
        self.port = port
        self.count = workers
        self.uvicorn_options = uvicorn_options
        self.metrics_dir = metrics_dir
        self.poll_s = poll_s
        self.workers: dict[int, _Worker] = {}  # by slot: the worker serving it
        self.starting: dict[int, _Worker] = {}  # by pid: replacements not yet serving
        self.retiring: dict[int, _Worker] = {}  # by pid: replaced workers finishing their requests
        self.sync_pid: int | None = None
        self.stopping = False
        self._sockets: list[socket.socket] = []
        self.cache: MatcherCache[Any] | None = None
        self._last_spawn: dict[int, float] = {}
        self._store_down = False
        self._failed = FailedLoad()  # a generation whose load failed: tried again only after a while

    # --- the parent -------------------------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        from service.screening.runtime import Preloaded
        from service.sources.manifest import load_manifests
        from service.wiring import matcher_cache_from, store_from

        try:
            self._sockets = bind_sockets(self.host, self.port, self.count)
        except OSError as exc:
            log.error("server.cannot_listen", host=self.host, port=self.port, error=exc.strerror or str(exc))
            return 1
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        if self.settings.sync_on_start:
            self.sync_pid = self._fork(self._sync_main)  # before any thread exists in this process
        self.list_ids = list(load_manifests(self.settings.lists_dir, self.settings.lists or None))
        self.store = store_from(self.settings)
        self.cache = matcher_cache_from(self.settings)
        self.preloaded = Preloaded(None, "the lists are being loaded")
        # What every worker imports, imported once here: the workers share these pages too and start sooner.
        import uvicorn  # noqa: F401

        import service.api.app  # noqa: F401

        log.info("server.supervisor_started", workers=self.count, pid=os.getpid(), lists=self.list_ids)
        try:
            self._load()
            for slot in range(self.count):
                self.workers[slot] = self._spawn(slot)
            self._finish_cache()
            self._loop()
        finally:
            self._shutdown()
            self.store.close()
        return 0

    def _loop(self) -> None:
        next_poll = time.monotonic() + self.poll_s
        while not self.stopping:
            self._reap()
            self._collect_ready(timeout_s=min(0.2, max(0.0, next_poll - time.monotonic())))
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.poll_s
                if self._generation_changed():
                    self._reload_and_replace()

    def _generation_changed(self) -> bool:
        try:
            generation = self.store.generation()
        except ServiceError as exc:
            if not self._store_down:  # once per outage; the workers keep serving and their /readyz tells
                log.warning("server.store_unreadable", error=str(exc))
            self._store_down = True
            return False
        self._store_down = False
        state = self.preloaded.state
        if generation is None or generation == (state.generation if state is not None else None):
            return False
        return not self._failed.holds_off(generation)  # a version that failed to load is not tried at every poll

    def _load(self) -> bool:
        """Load the store's lists into `self.preloaded`; False when there was nothing new to load."""
        from service.match.text import TEXT_VIEW
        from service.match.text import prepare as prepare_text
        from service.screening.runtime import NO_LISTS, Preloaded, build_handed_over, load_state, log_loaded

        started = time.perf_counter()
        generation: str | None = None
        dropped: str | None = None  # the cache key of the state dropped before loading its replacement

        def release() -> None:
            # what the child built is loaded into the memory the serving state leaves (a handoff refers to the
            # state's entities, names and analyses: those are held, then shared by the new state)
            nonlocal dropped
            dropped = self._drop_state()

        try:
            generation = self.store.generation()
            built_by_child, state = False, None
            if self.cache is not None:
                built_by_child, state = build_handed_over(
                    self.store,
                    self.list_ids,
                    self.cache,
                    self.preloaded.state,
                    generation,
                    release=release,
                    in_child=self._close_pipes,
                )
            cached = False
            source = "handoff" if state is not None else None
            if state is None:
                # from the entry the child wrote (waiting for it, when the child handed over a state this process
                # could not read); built here when there is none (no cache, or the child wrote nothing)
                state, cached = load_state(
                    self.store,
                    self.list_ids,
                    self.cache,
                    background=False,
                    previous=self.preloaded.state,
                    views=(TEXT_VIEW,),
                )
                cached = cached and not built_by_child
        except Exception as exc:
            # Boundary: a snapshot that cannot be loaded leaves the workers serving what they have (none at a
            # first start: /readyz says why); the same store generation is tried
            # again only after FAILED_LOAD_RETRY_S.
            log.error(
                "matcher.load_failed", error=f"{type(exc).__name__}: {exc}", exc_info=not isinstance(exc, ServiceError)
            )
            self._failed.record(generation)
            if self.preloaded.state is None and dropped is not None and self.cache is not None:
                # the state dropped for the load, from its own entry (the cache keeps the one before too), so
                # that a worker that dies is still replaced by one serving the lists
                restored = self.cache.load(dropped)
                if restored is not None:
                    self.preloaded = Preloaded(restored)
            if self.preloaded.state is None:
                self.preloaded = Preloaded(None, f"loading the lists failed: {exc}")
            return False
        if state is None:
            self.preloaded = Preloaded(None, NO_LISTS)
            return False
        prepare_text(state.matcher)  # the text view here (an entry brings it), so that every worker shares it
        state.matcher.warm_up()  # and what the libraries load on first use (before any worker forks a batch child)
        previous, self.preloaded = self.preloaded, Preloaded(state)
        # Everything alive is frozen: the workers forked from here never have the collector scan (and so copy) the
        # pages of the index. The replaced state is freed as the last reference to it goes (it holds no cycle).
        if previous.state is not None:
            del previous
            release_heap()  # what the old state freed goes back to the system, not into the next workers' copy
        else:
            gc.freeze()
            if dropped is not None:
                trim_heap()  # the old entities, which the store held until the new ones replaced them there
        log_loaded(state, cached=cached, started=started, source=source)
        return True

    def _drop_state(self) -> str | None:
        """Free the serving state before loading the one a child built, so that the new state is loaded into the
        memory the old one leaves. The workers keep serving from their own copies meanwhile, and
        nothing here forks until the load ends. Returns the old state's matcher cache key, to load it again should
        the new entry fail to load (None when there was none)."""
        from service.screening.runtime import Preloaded

        state = self.preloaded.state
        if state is None or self.cache is None:
            return None
        key = self.cache.key(state.generation, self.list_ids)
        self.preloaded = Preloaded(None, "the lists are being loaded")
        del state  # freed here: a state holds no reference cycle (service.api.heap)
        trim_heap()
        return key

    def _close_pipes(self, keep_fds: tuple[int, ...] = ()) -> None:
        """In a child: the workers' readiness pipes are the supervisor's (but for `keep_fds`, a new worker's own)."""
        for worker in self._children():
            if worker.ready_fd >= 0 and worker.ready_fd not in keep_fds:
                os.close(worker.ready_fd)

    def _finish_cache(self) -> None:
        """Write a state built here to the matcher cache (for restarts and other processes on this data folder)
        from a child process: pickling would copy most of this process's pages, which the workers share."""
        if self.cache is not None:
            self.cache.finish_pending_in_child()

    def _reload_and_replace(self) -> None:
        started = time.perf_counter()
        if not self._load():
            return
        state = self.preloaded.state
        assert state is not None
        replaced = 0
        # every replacement forked at once, each then waited for: they start side by side, one a core (forked and
        # waited for one after the other, the second served 42-67 ms later; together, 2-23 ms)
        spawned: list[_Worker] = []
        for slot in range(self.count):
            if self.stopping:
                break
            new = self._spawn(slot)
            self.starting[new.pid] = new
            spawned.append(new)
        for new in spawned:
            if self._wait_ready(new):
                self.starting.pop(new.pid, None)
                old = self.workers.get(new.slot)
                self.workers[new.slot] = new
                replaced += 1
                if old is not None:
                    self._retire(old)
            elif self.starting.pop(new.pid, None) is not None:  # alive but not serving: given up
                log.error("server.worker_not_ready", slot=new.slot, pid=new.pid)
                self._kill(new.pid)
        self._finish_cache()
        log.info(
            "server.workers_replaced",
            lists={k: v.version for k, v in state.lists.items()},
            workers=replaced,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _spawn(self, slot: int) -> _Worker:
        """Fork a worker for `slot` serving the current state; the caller decides when it takes the slot over."""
        self._last_spawn[slot] = time.monotonic()
        ready_r, ready_w = os.pipe()
        preloaded = self.preloaded
        try:
            pid = self._fork(lambda: self._worker_main(slot, ready_w, preloaded), keep_fds=(ready_w,))
        finally:
            os.close(ready_w)
        return _Worker(slot, pid, ready_r, time.monotonic())

    def _wait_ready(self, worker: _Worker, timeout_s: float = READY_TIMEOUT_S) -> bool:
        """Wait until `worker` (a replacement in `starting`) serves; False when it died or timed out first."""
        deadline = time.monotonic() + timeout_s
        while not worker.ready and time.monotonic() < deadline and not self.stopping:
            self._collect_ready(timeout_s=0.2)
            self._reap()
            if worker.pid not in self.starting:
                return False  # it exited before it served
        return worker.ready

    def _collect_ready(self, timeout_s: float) -> None:
        waiting = {w.ready_fd: w for w in self._children() if not w.ready and w.ready_fd >= 0}
        if not waiting:
            time.sleep(timeout_s)
            return
        try:
            readable, _, _ = select.select(list(waiting), [], [], timeout_s)
        except InterruptedError:
            return
        for fd in readable:
            worker = waiting[fd]
            data = os.read(fd, 1)
            os.close(fd)
            worker.ready = bool(data)
            worker.ready_fd = -1
            if worker.ready:
                log.info(
                    "server.worker_ready",
                    slot=worker.slot,
                    pid=worker.pid,
                    startup_s=round(time.monotonic() - worker.started, 3),
                )

    def _children(self) -> list[_Worker]:
        return [*self.workers.values(), *self.starting.values(), *self.retiring.values()]

    def _retire(self, worker: _Worker) -> None:
        self.retiring[worker.pid] = worker
        try:
            os.kill(worker.pid, RETIRE_SIGNAL)
        except ProcessLookupError:
            self.retiring.pop(worker.pid, None)

    def _reap(self) -> bool:
        """Collect exited children, replacing workers that died; True when any did."""
        from prometheus_client import multiprocess

        any_exited = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return any_exited
            if pid == 0:
                return any_exited
            any_exited = True
            multiprocess.mark_process_dead(pid, self.metrics_dir)  # type: ignore[no-untyped-call]
            code = os.waitstatus_to_exitcode(status)
            if self.retiring.pop(pid, None) is not None:
                continue
            if pid == self.sync_pid:
                self.sync_pid = None
                if not self.stopping:
                    log.error("sync.process_exited", code=code)
                    time.sleep(RESPAWN_DELAY_S)
                    self.sync_pid = self._fork(self._sync_main)
                continue
            starting = self.starting.pop(pid, None)
            if starting is not None:
                self._close_ready(starting)
                log.error("server.worker_exited", slot=starting.slot, pid=pid, code=code, serving=False)
                continue
            for slot, worker in list(self.workers.items()):
                if worker.pid == pid:
                    self._close_ready(worker)
                    del self.workers[slot]
                    if not self.stopping:
                        log.error("server.worker_exited", slot=slot, pid=pid, code=code, serving=True)
                        wait = self._last_spawn.get(slot, 0.0) + RESPAWN_DELAY_S - time.monotonic()
                        if wait > 0:
                            time.sleep(wait)  # a worker that dies at once is not restarted in a tight loop
                        self.workers[slot] = self._spawn(slot)

    @staticmethod
    def _close_ready(worker: _Worker) -> None:
        if worker.ready_fd >= 0:
            os.close(worker.ready_fd)
            worker.ready_fd = -1

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def _shutdown(self) -> None:
        self.stopping = True
        children = [w.pid for w in self._children()]
        if self.sync_pid is not None:
            children.append(self.sync_pid)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + float(self.uvicorn_options.get("timeout_graceful_shutdown", 10)) + STOP_GRACE_S
        alive = set(children)
        while alive and time.monotonic() < deadline:
            for pid in list(alive):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    alive.discard(pid)
            time.sleep(0.05)
        for pid in alive:
            log.warning("server.worker_killed", pid=pid)
            self._kill(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for sock in set(self._sockets):
            sock.close()
        log.info("server.supervisor_stopped")

    # --- the children -----------------------------------------------------------------------------------------
    def _fork(self, body: Callable[[], None], keep_fds: tuple[int, ...] = ()) -> int:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            start_child(parent, self.cache)
            self._close_pipes(keep_fds)
            body()
            code = 0
        except BaseException:
            log.exception("server.child_failed")
        finally:
            os._exit(code)
        return 0  # not reached

    def _worker_main(self, slot: int, ready_w: int, preloaded: Any) -> None:
        import uvicorn

        from service.api.app import create_app

        sock = self._sockets[slot]
        for other in set(self._sockets):
            if other is not sock:
                other.close()
        app = _Closing(create_app(self.worker_settings, preloaded=preloaded))
        config = uvicorn.Config(app, **self.uvicorn_options)
        server = uvicorn.Server(config)

        async def serve() -> None:
            loop = asyncio.get_running_loop()
            draining = asyncio.Event()
            loop.add_signal_handler(RETIRE_SIGNAL, draining.set)
            task = asyncio.ensure_future(server.serve(sockets=[sock]))
            while not server.started and not task.done():
                await asyncio.sleep(0.02)
            if server.started:
                os.write(ready_w, b"1")
            os.close(ready_w)
            retired = asyncio.ensure_future(draining.wait())
            await asyncio.wait([task, retired], return_when=asyncio.FIRST_COMPLETED)
            if draining.is_set() and not task.done():
                # Replaced: stop accepting (the socket stays open in the supervisor and the new worker), answer each
                # open connection's next request with `Connection: close` so that the client's following one goes
                # to the new worker, and after DRAIN_S (or once no connection is left) shut down gracefully:
                # requests in progress finish, idle connections are closed. Closing idle keep-alive connections at
                # once would do it under clients that may be sending on one that very moment.
                app.closing = True
                for listener in server.servers:
                    listener.close()
                deadline = loop.time() + DRAIN_S
                while server.server_state.connections and loop.time() < deadline and not task.done():
                    await asyncio.sleep(0.05)
                server.should_exit = True
            retired.cancel()
            await task

        # uvicorn re-raises the signal that stopped it once it has shut down; ignored here, the process then exits 0
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(serve())

    def _sync_main(self) -> None:
        stop = False

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        runner, store = start_sync(self.settings)
        try:
            while not stop:
                signal.pause() if hasattr(signal, "pause") else time.sleep(1)
        finally:
            runner.stop()
            store.close()


def start_sync(settings: Settings) -> tuple[SyncRunner, Store]:
    """The sync loop of `serve --workers N`, in a process of its own: one sync for all the workers."""
    from service.api.app import make_sync_fn
    from service.api.metrics import Metrics
    from service.sources.manifest import load_manifests
    from service.wiring import store_from

    manifests = load_manifests(settings.lists_dir, settings.lists or None)
    store = store_from(settings)
    metrics = Metrics(dict)
    sync_fn = make_sync_fn(settings, store, manifests, metrics)

    def on_outcome(outcome: Mapping[str, str]) -> None:
        for list_id, status in outcome.items():
            metrics.sync_outcomes.labels(list_id, status).inc()

    from service.screening.runtime import SyncRunner

    runner = SyncRunner(sync_fn, interval_s=settings.sync_interval_s, on_outcome=on_outcome)
    runner.start_loop()
    return runner, store
