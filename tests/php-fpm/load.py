#!/usr/bin/env python3
"""Concurrent keep-alive HTTP client for the php-fpm tests.

    load.py BASE_URL PATHS_FILE N CONCURRENCY OUT [COMMAND [EVERY]]

CONCURRENCY threads, each with one keep-alive connection, send N GET requests in all for
the paths of PATHS_FILE (one a line, cycled). OUT gets one line per response:
status<TAB>milliseconds<TAB>body (first line). COMMAND (a shell command, e.g. a publish)
runs when half the requests have been sent, or before every EVERY-th request: no request
is sent while it runs (those in flight go on), every later one is sent after it. Prints "requests N errors E rps R p50 MS p95 MS".
"""
import http.client
import subprocess
import sys
import threading
import time
import urllib.parse


def main():
    base, paths_file, n, conc, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    command = sys.argv[6] if len(sys.argv) > 6 else None
    every = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    u = urllib.parse.urlsplit(base)
    paths = [p.rstrip("\n") for p in open(paths_file, encoding="utf-8") if p.strip()]
    lock = threading.Lock()
    state = {"next": 0}
    lat, errors = [], [0]
    f = open(out, "w", encoding="utf-8")

    def worker():
        conn = None
        while True:
            with lock:
                i = state["next"]
                if i >= n:
                    break
                state["next"] = i + 1
                if command and ((every and i and i % every == 0) or (not every and i == n // 2)):
                    subprocess.run(command, shell=True, check=True)
            path = paths[i % len(paths)]
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read().decode("utf-8", "replace")
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                status, body = 0, "client error: %s" % e
                if conn:
                    conn.close()
                conn = None
            ms = (time.perf_counter() - t0) * 1000
            line = body.split("\n", 1)[0]
            with lock:
                lat.append(ms)
                if status != 200:
                    errors[0] += 1
                f.write("%d\t%.3f\t%s\n" % (status, ms, line))
                f.flush()
        if conn:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    f.close()
    lat.sort()
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0
    print("requests %d errors %d rps %.1f p50 %.2f p95 %.2f" % (len(lat), errors[0], len(lat) / dt if dt else 0, pct(0.5), pct(0.95)))


if __name__ == "__main__":
    main()
