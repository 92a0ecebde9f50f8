#!/usr/bin/env python3
"""A tiny OpenAI-compatible /v1/embeddings server for the embedder tests (stdlib only).

Prints its port on the first line of stdout, then serves until killed. 127.0.0.1 only,
HTTP/1.1 keep-alive, TCP_NODELAY. Embedding of a text: 8 floats = counts of the letters
a..h (+0.5 so that no vector is zero), so directions are predictable. Inputs steer faults:
  "__429__..."  first request containing it gets 429 (Retry-After: 0), later ones succeed
  "__500__..."  always 500
  "__bad__..."  malformed JSON body
  "__slow__..." sleeps 2 s before answering
GET /stats -> {"connections": N, "requests": M, "inputs": K}.
"""
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

STATS = {"connections": 0, "requests": 0, "inputs": 0}
SEEN_429 = set()


def vec(text):
    return [text.lower().count(c) + 0.5 for c in "abcdefgh"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        STATS["connections"] += 1

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            self.reply(200, json.dumps(STATS))
        else:
            self.reply(404, '{"error":"not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path != "/v1/embeddings":
            self.reply(404, '{"error":"not found"}')
            return
        STATS["requests"] += 1
        try:
            req = json.loads(body)
            inputs = req["input"]
        except Exception:
            self.reply(400, '{"error":"bad request"}')
            return
        STATS["inputs"] += len(inputs)
        joined = " ".join(inputs)
        if "__429__" in joined and joined not in SEEN_429:
            SEEN_429.add(joined)
            self.reply(429, '{"error":"rate limited"}', [("Retry-After", "0")])
            return
        if "__500__" in joined:
            self.reply(500, '{"error":"boom"}')
            return
        if "__bad__" in joined:
            self.reply(200, '{"data": [')
            return
        if "__slow__" in joined:
            time.sleep(2)
        data = [{"object": "embedding", "index": i, "embedding": vec(t)} for i, t in enumerate(inputs)]
        data.reverse()  # the index field, not the order, says which input it is
        self.reply(200, json.dumps({"object": "list", "data": data, "model": req.get("model"),
                                    "usage": {"prompt_tokens": 1, "total_tokens": 1}}))


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
