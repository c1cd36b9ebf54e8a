"""A bounded HTTP load generator for loopback servers: wrk when installed, else threads.

Both drivers keep ``connections`` keep-alive connections busy for ``duration`` seconds
(the Python driver also stops after ``max_requests``), sending the list of requests in its
order, and report the same numbers: requests, seconds, req/s, median and p99 latency (ms),
errors (connection failures, timeouts, non-2xx answers), and ``sent`` (requests made),
``distinct`` (distinct requests of the list sent) and ``repeats`` (requests sent again
after the list's end). Only loopback targets are allowed.

Past the list's end: with ``cycle`` (the cached mix) both drivers start the list again.
Without it (the distinct mix) the Python driver stops, so no request is sent twice; wrk
cannot stop early without miscounting its run's time (it reports the whole duration), so
it starts the list again and the repeats are counted (the harness makes lists longer than
a run can send, from the rate of the warm-up, so that they stay at 0).

wrk (Debian package ``wrk``) is preferred: it is C and takes little of the CPU the servers
need on a small machine; the Python driver is for machines without it and for the smoke
test.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit

from benchmarks.queries import Request

LOOPBACK = ("127.0.0.1", "localhost", "::1")

WRK_SCRIPT = r"""
-- One wrk thread (-t1): `sent` counts the requests made, in the order of the list; past its
-- end the list starts again, and `done` reports how many were sent, so repeats are counted.
local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end
local requests_list = {}
sent = 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, accept = line:match("^([^\t]+)\t(.*)$")
    requests_list[#requests_list + 1] = wrk.format("GET", path, {["Accept"] = accept})
  end
end
request = function()
  sent = sent + 1
  return requests_list[((sent - 1) % #requests_list) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  local made = 0
  for _, thread in ipairs(threads) do
    made = made + thread:get("sent")
  end
  io.write(string.format(
    '\nZKG-RESULT {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"sent":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), made))
end
"""


def _check_loopback(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    if parts.hostname not in LOOPBACK:
        raise ValueError(f"the load generator only targets loopback, not {parts.hostname}")
    return parts.hostname, parts.port or 80


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str,
    requests: Sequence[Request],
    *,
    duration: float,
    connections: int = 8,
    max_requests: int = 1_000_000,
    driver: str = "auto",
    timeout: float = 60.0,
    cycle: bool = True,
) -> dict:
    """Drive ``base_url`` (``http://127.0.0.1:PORT``) with ``requests``; the numbers as a dict.
    ``cycle=False``: the Python driver stops at the list's end (wrk counts its repeats)."""
    _check_loopback(base_url)
    if driver == "auto":
        driver = "wrk" if have_wrk() else "python"
    if driver == "wrk":
        result = _run_wrk(base_url, requests, duration=duration, connections=connections, timeout=timeout)
    else:
        result = _run_python(
            base_url,
            requests,
            duration=duration,
            connections=connections,
            max_requests=max_requests,
            timeout=timeout,
            cycle=cycle,
        )
    result["driver"] = driver
    result["distinct"] = min(result["sent"], len(requests))
    result["repeats"] = result["sent"] - result["distinct"]
    seconds = result["seconds"]
    result["rps"] = round(result["requests"] / seconds, 2) if seconds > 0 else 0.0
    return result


def _run_wrk(base_url: str, requests: Sequence[Request], *, duration: float, connections: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="zkg-wrk-") as folder:
        script = Path(folder) / "mix.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        listing = Path(folder) / "requests.tsv"
        listing.write_text("".join(f"{r.path}\t{r.accept}\n" for r in requests), encoding="utf-8")
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={int(timeout)}s",
            "-s",
            str(script),
            base_url,
            "--",
            str(listing),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30)
    line = next((text for text in done.stdout.splitlines() if text.startswith("ZKG-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(line[len("ZKG-RESULT ") :])
    # No `response` callback in the script: wrk would parse every response for it, which its
    # manual calls expensive, and take CPU from the server measured. Errors are looked up after.
    first_error = _first_error(base_url, requests, timeout) if raw["non2xx"] else None
    return {
        "requests": raw["requests"],
        "seconds": raw["duration_us"] / 1e6,
        "errors": raw["errors"],
        "non2xx": raw["non2xx"],
        "timeouts": raw["timeouts"],
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "sent": raw["sent"],
        **({"first_error": first_error} if first_error else {}),
    }


def _first_error(base_url: str, requests: Sequence[Request], timeout: float) -> str | None:
    """The first request of the mix answered with a non-2xx status, and its answer."""
    host, port = _check_loopback(base_url)
    for request in requests:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.request("GET", request.path, headers={"Accept": request.accept})
            response = connection.getresponse()
            body = response.read()
            if not 200 <= response.status < 300:
                return f"{response.status} " + " ".join(body[:200].decode("utf-8", "replace").split())
        except (OSError, http.client.HTTPException) as error:
            return f"no answer: {error}"
        finally:
            connection.close()
    return None


def _run_python(
    base_url: str,
    requests: Sequence[Request],
    *,
    duration: float,
    connections: int,
    max_requests: int,
    timeout: float,
    cycle: bool = True,
) -> dict:
    host, port = _check_loopback(base_url)
    latencies: list[float] = []
    counts = {"errors": 0, "non2xx": 0, "timeouts": 0}
    lock = threading.Lock()
    # One position in the list for all connections: each request of the list is sent once
    # before any is sent again (and, without ``cycle``, never again).
    limit = max_requests if cycle else min(max_requests, len(requests))
    issued = iter(range(limit))
    deadline = time.monotonic() + duration

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        mine: list[float] = []
        errors = non2xx = timeouts = 0
        while time.monotonic() < deadline:
            with lock:
                position = next(issued, None)
            if position is None:
                break
            request = requests[position % len(requests)]
            started = time.perf_counter()
            try:
                connection.request("GET", request.path, headers={"Accept": request.accept})
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    non2xx += 1
                mine.append(time.perf_counter() - started)
            except TimeoutError:
                timeouts += 1
                connection.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                time.sleep(0.01)
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["errors"] += errors + non2xx + timeouts
            counts["non2xx"] += non2xx
            counts["timeouts"] += timeouts

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    seconds = time.monotonic() - started
    with lock:
        sent = next(issued, limit)  # the next position not taken = how many were taken
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return {
        "requests": len(ordered),
        "seconds": seconds,
        **counts,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": p99 * 1000,
        "sent": sent,
    }
