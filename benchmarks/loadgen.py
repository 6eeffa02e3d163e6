"""A small closed-loop HTTP load generator: one thread and keep-alive connection per stream,
each sending its stream's next request as soon as the previous reply arrives, so a user's
turns stay in order. Prepared bodies, latency per request."""
from __future__ import annotations

import http.client
import statistics
import threading
import time


def run(port: int, streams: list[list[tuple[str, bytes]]], duration: float) -> dict:
    latencies: list[float] = []
    errors = ran_out = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(requests):
        nonlocal errors, ran_out
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, bad, i = [], 0, 0
        while time.monotonic() < deadline:
            if i >= len(requests):
                with lock:
                    ran_out += 1
                break
            path, body = requests[i]
            i += 1
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
    threads = [threading.Thread(target=worker, args=(s,)) for s in streams]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "ran_out": ran_out}
