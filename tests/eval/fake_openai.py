#!/usr/bin/env python3
"""A fake OpenAI-compatible chat endpoint for tunepilot's eval tests (loopback
only, standard library only). It answers POST .../chat/completions with a
streamed completion (SSE, then a usage chunk, then "data: [DONE]").

The answer is a label chosen by a keyword of the last user message: "invoice"
-> billing, "crash" -> technical, "password" -> account, anything else ->
"sales". The model name picks a failure to inject on the first attempt at
each distinct request body: "fake-429" (HTTP 429), "fake-trunc" (the stream
is cut before [DONE]), "fake-slow" (the first token comes after 2 s),
"fake-500" (every attempt fails with 500). Usage: prompt_tokens = characters
of all messages // 4, completion_tokens = words of the answer.

usage: fake_openai.py LOGFILE [LIFETIME_S]; prints the port on stdout.
Each request appends one JSON line to LOGFILE: model, message count, whether
an Authorization header came, and the answer sent."""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]
LIFETIME = float(sys.argv[2]) if len(sys.argv) > 2 else 120
seen = set()
lock = threading.Lock()
KEYWORDS = [("invoice", "billing"), ("crash", "technical"), ("password", "account")]


def answer_for(text):
    for k, label in KEYWORDS:
        if k in text.lower():
            return label
    return "sales"


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to report

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        req = json.loads(body)
        model = req.get("model", "")
        msgs = req.get("messages", [])
        user = [m["content"] for m in msgs if m["role"] == "user"][-1]
        ans = answer_for(user)
        with lock:
            first = body not in seen
            seen.add(body)
            with open(LOG, "a") as f:
                f.write(json.dumps({"model": model, "messages": len(msgs),
                                    "auth": "Authorization" in self.headers,
                                    "answer": ans, "first": first}) + "\n")
        if model == "fake-500" or (model == "fake-429" and first):
            code = 500 if model == "fake-500" else 429
            msg = json.dumps({"error": {"message": "injected %d" % code}}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        if model == "fake-slow" and first:
            time.sleep(2)

        def send(obj):
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        half = len(ans) // 2
        for k, piece in enumerate((ans[:half], ans[half:])):
            if k:
                time.sleep(0.02)  # a measurable decode time
            send({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        if model == "fake-trunc" and first:
            self.close_connection = True
            return  # cut: no usage, no [DONE]
        chars = sum(len(m["content"]) for m in msgs)
        send({"choices": [], "usage": {"prompt_tokens": chars // 4,
                                       "completion_tokens": len(ans.split()),
                                       "prompt_tokens_details": {"cached_tokens": 0}}})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
threading.Timer(LIFETIME, srv.shutdown).start()
srv.serve_forever()
