"""The servers a benchmark run compares, each started on a free loopback port.

- the **floor**: Python's own HTTP/1.1 server answering a trivial GET (what no server can beat);
- **Terminsync** under gunicorn (``DEBUG=0``, the given database, Redis when one listens);
- **Radicale** and **Xandikos** from their own venvs, on the same ``.ics`` files.

Each ``Server`` knows its collection URL, its credentials and its processes (for memory).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Passwort-2026"


@dataclass
class Server:
    name: str
    base: str
    collection: str  # absolute URL of the calendar collection
    auth: tuple[str, str] | None
    proc: subprocess.Popen | None = None
    stop_fn: object = None
    extra: dict = field(default_factory=dict)

    def rss_mib(self) -> list[float]:
        """Resident memory of the server's process and its children (gunicorn: master + workers)."""
        if self.proc is None:
            return []
        pids = [self.proc.pid] + _children(self.proc.pid)
        return [_rss_kib(p) / 1024 for p in pids if _rss_kib(p)]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if callable(self.stop_fn):
            self.stop_fn()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(p) for p in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen | None, url: str, name: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode} while starting")
        try:
            requests.options(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or workers still booting
            time.sleep(0.2)
    if proc is not None:
        proc.kill()
    raise SystemExit(f"{name} did not start within {seconds:.0f} s")


class _Trivial(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the others
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms of delayed ACK

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def start_floor() -> Server:
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), _Trivial)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    return Server("floor", base, base + "/", None, stop_fn=httpd.shutdown)


def redis_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/7"
    except OSError:
        return None


def gunicorn(app: str, port: int, workers: int, threads: int) -> list[str]:
    """The command that serves the WSGI ``app`` as the bench measures Terminsync (gthread when ``threads`` > 1)."""
    cmd = [str(Path(sys.executable).with_name("gunicorn")), app, "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "--log-level", "warning",
           # a peer's slow request can keep our connection idle past gunicorn's default 2 s; the close
           # then races the next request ("Remote end closed connection without response"). 75 s is nginx's.
           "--keep-alive", "75"]
    if threads > 1:  # gthread keeps connections alive, as a proxy in front of sync workers would
        cmd += ["-k", "gthread", "--threads", str(threads)]
    return cmd


def start_terminsync(database_url: str, slug: str, workers: int, threads: int) -> Server:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
           "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "SECURE_SSL_REDIRECT": "0"}  # plain HTTP on loopback: TLS is the proxy's job
    if redis_url():
        env["REDIS_URL"] = redis_url()
    proc = subprocess.Popen(gunicorn("config.wsgi", port, workers, threads), cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/caldav/", "gunicorn")
    return Server("Terminsync", base, f"{base}/caldav/bench/{slug}/", ("bench", PASSWORD), proc,
                  extra={"redis": bool(env.get("REDIS_URL"))})


def start_radicale(python: str, folder: Path, data: Path, n: int) -> Server:
    """Radicale's filesystem storage: one folder per calendar, the objects as files."""
    cal = folder / "collection-root" / "bench" / f"raum-{n}"
    if not (cal / ".complete").exists():
        shutil.rmtree(cal, ignore_errors=True)
        cal.mkdir(parents=True)
        (cal / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR", "D:displayname": f"Raum {n}"}))
        for f in data.glob("*.ics"):
            shutil.copyfile(f, cal / f.name)
        (cal / ".complete").write_text("")  # Radicale ignores dot files
    port = free_port()
    config = folder / "config"
    config.write_text(f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n[rights]\ntype = owner_only\n"
                      f"[storage]\nfilesystem_folder = {folder}\n[logging]\nlevel = warning\n")
    proc = subprocess.Popen([python, "-m", "radicale", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/", "radicale")
    return Server("Radicale", base, f"{base}/bench/raum-{n}/", ("bench", "x"), proc)


def start_xandikos(python: str, folder: Path, data: Path, n: int) -> Server:
    """Xandikos: each calendar is a Git repository with a ``.xandikos`` file, the objects in one commit."""
    cal = folder / "bench" / "calendars" / f"raum-{n}"
    if not (cal / ".git").exists():
        shutil.rmtree(cal, ignore_errors=True)
        cal.mkdir(parents=True)
        (cal / ".xandikos").write_text(f"[DEFAULT]\ntype = calendar\ndisplayname = Raum {n}\n")
        for f in data.glob("*.ics"):
            shutil.copyfile(f, cal / f.name)
        git = ["git", "-C", str(cal), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        subprocess.run(git[:3] + ["init", "-q"], check=True)
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "bench objects"], check=True)
    port = free_port()
    proc = subprocess.Popen([python, "-m", "xandikos", "serve", "-d", str(folder), "-l", "127.0.0.1", "-p", str(port),
                             "--current-user-principal", "/bench/", "--state-dir", str(folder.parent / "xandikos-state")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/", "xandikos")
    return Server("Xandikos", base, f"{base}/bench/calendars/raum-{n}/", None, proc)
