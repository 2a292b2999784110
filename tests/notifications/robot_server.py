"""A real HTTP server standing in for the 企业微信 and 钉钉 robot endpoints, as the
platforms behave: it checks each post's JSON shape, and for a 钉钉 robot with a secret the
signature exactly as DingTalk does (recomputed from its own copy of the secret and the
posted timestamp; a timestamp over an hour away is refused). Tests script answers (a 500,
a rate-limit code) and read what each robot received."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: What the platforms answer to a post they refuse (codes as documented by each).
SIGN_MISMATCH = {"errcode": 310000, "errmsg": "sign not match"}
BAD_TIMESTAMP = {"errcode": 310000, "errmsg": "invalid timestamp"}
BAD_BODY = {"errcode": 40035, "errmsg": "missing or malformed markdown"}
UNKNOWN_ROBOT = {"errcode": 300001, "errmsg": "token is not exist"}
WECOM_OK = {"errcode": 0, "errmsg": "ok"}
DINGTALK_OK = {"errcode": 0, "errmsg": "ok"}
WECOM_MAX_BYTES = 4096


@dataclass
class Received:
    robot: str  # the robot's token in the URL
    body: dict[str, Any]
    query: dict[str, str]


@dataclass
class RobotServer:
    """The platforms on 127.0.0.1:`port`. `dingtalk(token, secret)` and `wecom(key)` give a
    robot's webhook URL; `answers[token]` are the answers to its next posts, (status,
    JSON) each, before the normal "ok"."""

    port: int = 0
    secrets: dict[str, str | None] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dingtalk(self, token: str, secret: str | None = None) -> str:
        self.secrets[token], self.channels[token] = secret, "dingtalk"
        return f"{self.base}/robot/send?access_token={token}"

    def wecom(self, key: str) -> str:
        self.channels[key] = "wecom"
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def posts(self, robot: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.received if r.robot == robot]

    # -- what the platforms check ----------------------------------------------------------

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/robot/send":
            robot, check = query.get("access_token", ""), self._dingtalk
        elif path == "/cgi-bin/webhook/send":
            robot, check = query.get("key", ""), self._wecom
        else:
            return 404, {"errcode": 404, "errmsg": "not found"}
        if robot not in self.channels:
            return 200, UNKNOWN_ROBOT
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return 200, BAD_BODY
        problem = check(robot, query, body)
        with self.lock:
            if problem is not None:
                self.refused.append((robot, problem))
                return 200, problem
            scripted = self.answers[robot]
            if scripted:
                return scripted.pop(0)
            self.received.append(Received(robot, body, query))
        return 200, DINGTALK_OK if path == "/robot/send" else WECOM_OK

    def _dingtalk(self, robot: str, query: dict[str, str], body: Any) -> dict[str, Any] | None:
        secret = self.secrets.get(robot)
        if secret is not None:
            timestamp, signature = query.get("timestamp", ""), query.get("sign", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
                return BAD_TIMESTAMP
            expected = base64.b64encode(
                hmac.new(
                    secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            if not hmac.compare_digest(expected, signature):
                return SIGN_MISMATCH
        markdown = body.get("markdown") if isinstance(body, dict) else None
        if (
            body.get("msgtype") != "markdown"
            or not isinstance(markdown, dict)
            or not isinstance(markdown.get("title"), str)
            or not isinstance(markdown.get("text"), str)
            or not markdown["title"]
            or not markdown["text"]
        ):
            return BAD_BODY
        return None

    def _wecom(self, robot: str, query: dict[str, str], body: Any) -> dict[str, Any] | None:
        markdown = body.get("markdown") if isinstance(body, dict) else None
        if (
            body.get("msgtype") != "markdown"
            or not isinstance(markdown, dict)
            or set(markdown) != {"content"}
            or not isinstance(markdown["content"], str)
            or not markdown["content"]
            or len(markdown["content"].encode("utf-8")) > WECOM_MAX_BYTES
        ):
            return BAD_BODY
        return None


def _handler(server: RobotServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            # parse_qs decodes the URL encoding, as the platform reads `sign`
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = server.answer(parts.path, query, raw)
            data = json.dumps(answer).encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{server.base}/robot/send?access_token=elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def robot_server() -> Iterator[RobotServer]:
    server = RobotServer()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    http.daemon_threads = True
    server.port = http.server_port
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)
