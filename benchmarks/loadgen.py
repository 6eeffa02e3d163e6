"""A small closed-loop HTTP load generator: N connections, each sending its next request
as soon as the previous reply arrives. Prepared bodies, keep-alive, latency per request."""
from __future__ import annotations

import http.client
import statistics
import threading
import time


def run(port: int, requests: list[tuple[str, bytes]], connections: int, duration: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    cursor = iter(range(10**9))

    def worker():
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, bad = [], 0
        while time.monotonic() < deadline:
            with lock:
                i = next(cursor)
            if i >= len(requests):
                break
            path, body = requests[i]
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}
