"""A small closed-loop HTTP load generator, run as its own process (``python -m bench.loadgen``).

Reads a JSON job on stdin, prints a JSON summary on stdout. ``conns`` threads each keep one
HTTP/1.1 keep-alive connection (``http.client``) and send the next request as soon as the last
answer is read, until ``seconds`` have passed or ``max_requests`` were sent in total: every
loop is bounded in count and in time. Only loopback targets are accepted.

Job: ``{"base": "http://127.0.0.1:PORT", "method": "GET", "path": "/api/v1/task/{id}",
"ids": [lo, hi], "serials": [...], "body": "... {serial} ...", "headers": {...},
"conns": 8, "seconds": 5, "max_requests": 20000}``.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
from urllib.parse import urlsplit

ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")


def main() -> None:
    job = json.load(sys.stdin)
    target = urlsplit(job["base"])
    if target.hostname not in ALLOWED_HOSTS:
        raise SystemExit("bench.loadgen only loads loopback addresses")
    conns = int(job["conns"])
    deadline = time.monotonic() + float(job["seconds"])
    budget = [int(job["max_requests"])]
    lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(conns)]
    errors = [0] * conns
    statuses: dict[int, int] = {}

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def worker(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = dict(job.get("headers", {}))
        while time.monotonic() < deadline and take():
            path = job["path"]
            body = job.get("body")
            if "{id}" in path:
                path = path.replace("{id}", str(rng.randint(*job["ids"])))
            if body is not None and "{serial}" in body:
                body = body.replace("{serial}", rng.choice(job["serials"]))
            started = time.perf_counter()
            try:
                conn.request(job.get("method", "GET"), path, body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - started
            if status == 200:
                latencies[n].append(elapsed * 1000)
            else:
                errors[n] += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(conns)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = [x for part in latencies for x in part]
    json.dump(
        {
            "ok": len(merged),
            "errors": sum(errors),
            "statuses": statuses,
            "seconds": elapsed,
            "rps": len(merged) / elapsed if elapsed else 0.0,
            "latencies_ms": merged,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
