"""Slow clients against gunicorn's sync workers, directly and behind nginx (the documented set-up).

A phone on a bad mobile network (or an attacker) opens a connection and sends
its request slowly. A sync worker reads the request itself, so each such
connection holds a whole worker until gunicorn's ``--timeout``. nginx reads the
request (and buffers the response) before it talks to gunicorn, so the workers
never see the slow client. This script measures the time a normal request takes
while N half-open connections are held, in both set-ups, in one run:

    .venv/bin/python bench/slow_clients.py [--workers 3] [--slow 3]

Needs nginx on the PATH (Debian: ``apt-get install nginx-light``). Prints seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = """
worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log; daemon off;
events {{ worker_connections 256; }}
http {{
  access_log off; client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    client_header_timeout 60s; client_body_timeout 60s;
    location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_set_header Host $host; }}
  }}
}}
"""


def wait_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def half_open(port: int, n: int) -> list[socket.socket]:
    """N connections that sent part of their headers and then nothing (a slow or hostile client)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"PROPFIND /caldav/ HTTP/1.1\r\nHost: 127.0.0.1\r\nDepth: 0\r\n")  # headers never end
        socks.append(s)
    time.sleep(0.5)
    return socks


def timed_request(port: int, limit: float = 45.0) -> float:
    start = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    s.sendall(b"OPTIONS /caldav/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    try:
        assert s.recv(64).startswith(b"HTTP/1.1 200")
    except TimeoutError:
        return float("inf")
    finally:
        s.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--slow", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args()
    if not shutil.which("nginx"):
        raise SystemExit("nginx not found (apt-get install nginx-light)")
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/b.sqlite3"}
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-b", "127.0.0.1:8711",
                                 "--workers", str(args.workers), "--timeout", str(args.timeout)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp()
    Path(tmp, "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=8712, upstream=8711))
    nginx = subprocess.Popen(["nginx", "-c", f"{tmp}/nginx.conf", "-p", tmp], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_port(8711)
        wait_port(8712)
        print(f"gunicorn sync, {args.workers} workers, --timeout {args.timeout}; {args.slow} half-open connections")
        for name, port in (("behind nginx", 8712), ("gunicorn directly", 8711)):
            for _ in range(2 * args.workers):  # every worker has imported the project
                timed_request(port)
            print(f"  {name:18} idle: {timed_request(port):6.3f} s", end="")
            socks = half_open(port, args.slow)
            print(f"   with slow clients: {timed_request(port):6.3f} s")
            for s in socks:
                s.close()
            time.sleep(1)
    finally:
        for proc in (nginx, gunicorn):
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
