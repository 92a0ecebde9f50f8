"""Starts the fake LLM server (tests/fakellm/server.py) for Python tests.

    from fakellm import FakeLLM
    with FakeLLM() as srv:
        srv.url            # "http://127.0.0.1:PORT"
        srv.stats()        # GET /stats as a dict
        srv.reset()

As a pytest fixture::

    @pytest.fixture(scope="module")
    def fake():
        with FakeLLM() as srv:
            yield srv
"""
import json
import os
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "fakellm", "server.py"))


class FakeLLM:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("fake LLM server did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def _req(self, path, post=False):
        req = urllib.request.Request(self.url + path, data=b"" if post else None,
                                     method="POST" if post else "GET")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read().decode())

    def stats(self):
        return self._req("/stats")

    def last(self):
        return self._req("/last")

    def reset(self):
        self._req("/reset", post=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM; closing stdin would stop it too
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
