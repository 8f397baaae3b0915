"""A pool of long-lived worker processes that run corpus cases with a per-case timeout.

Each worker imports allo once and runs many cases one after the other, so a case costs only its
own compile time. A case that kills its worker (a signal, ``os._exit``) or exceeds the timeout is
reported for that case alone (``outcome`` ``"crashed"`` / ``"hang"``); the worker is replaced and
the next case runs in a fresh one.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_worker.py")


def _library_root() -> str:
    """Directory holding the ``allo`` package the parent imports (the worker must load the same)."""
    import allo

    return os.path.dirname(os.path.dirname(os.path.abspath(allo.__file__)))


class Worker:
    """One worker process; ``run`` sends a case file and waits for its result."""

    def __init__(self, startup_timeout: float = 60.0):
        self.log = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ)
        root = _library_root()
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, WORKER_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, env=env, cwd=root, text=False,
        )
        self._buffer = b""
        ready = self._read_line(startup_timeout)
        if ready is None or not json.loads(ready).get("ready"):
            tail = self.stderr_tail()
            self.close()
            raise RuntimeError(f"corpus worker did not start: {tail}")

    def _read_line(self, timeout: float) -> bytes | None:
        """The next protocol line, or ``None`` on timeout or end of file."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines the worker wrote to stderr."""
        self.log.flush()
        self.log.seek(0)
        text = self.log.read()
        self.log.seek(0, os.SEEK_END)
        return "\n".join(text.splitlines()[-lines:])

    def run(self, path: str, timeout: float) -> dict:
        """Run one case file; a dead or hung worker yields a ``crashed``/``hang`` outcome."""
        start = time.monotonic()
        try:
            self.proc.stdin.write((json.dumps({"path": path}) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        line = self._read_line(timeout)
        elapsed = time.monotonic() - start
        if line is not None:
            result = json.loads(line)
            result["seconds"] = elapsed
            return result
        if self.proc.poll() is None and elapsed >= timeout:
            self.proc.kill()
            self.proc.wait()
            return {"outcome": "hang", "seconds": elapsed,
                    "message": f"no result after {timeout:.0f} s", "stderr": self.stderr_tail()}
        code = self.proc.wait()
        return {"outcome": "crashed", "seconds": elapsed, "returncode": code,
                "message": f"worker exited with status {code}", "stderr": self.stderr_tail()}

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """End the worker (closing stdin lets it exit by itself)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class WorkerPool:
    """``size`` threads, each driving its own :class:`Worker`, fed from one job queue."""

    def __init__(self, size: int = 2, timeout: float = 30.0):
        self.timeout = timeout
        self.jobs: queue.Queue = queue.Queue()
        self.restarts = 0
        self._threads = [threading.Thread(target=self._serve, daemon=True) for _ in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, path: str, timeout: float | None = None) -> Future:
        """Queue a case file; the future's result is the worker's outcome dictionary."""
        future: Future = Future()
        self.jobs.put((path, timeout or self.timeout, future))
        return future

    def run(self, path: str, timeout: float | None = None) -> dict:
        """Run one case file and wait for its outcome."""
        return self.submit(path, timeout).result()

    def _serve(self) -> None:
        worker = None
        while True:
            job = self.jobs.get()
            if job is None:
                break
            path, timeout, future = job
            try:
                if worker is None or not worker.alive:
                    if worker is not None:
                        worker.close()
                        self.restarts += 1
                    worker = Worker()
                future.set_result(worker.run(path, timeout))
            except BaseException as exc:  # report harness trouble on the case, keep serving
                future.set_exception(exc)
        if worker is not None:
            worker.close()

    def close(self) -> None:
        """Stop every worker after the queued jobs."""
        for _ in self._threads:
            self.jobs.put(None)
        for thread in self._threads:
            thread.join()
