"""What a gunicorn worker sets for itself when it loads ``config.wsgi`` (issue 13, latency under load)."""

from __future__ import annotations

import importlib
import sys


def test_a_waiting_thread_gets_the_interpreter_lock_within_a_millisecond(monkeypatch):
    before = sys.getswitchinterval()
    try:
        importlib.reload(importlib.import_module("config.wsgi"))
        assert sys.getswitchinterval() == 0.001
        monkeypatch.setenv("PYTHON_SWITCH_INTERVAL", "0.005")
        importlib.reload(importlib.import_module("config.wsgi"))
        assert sys.getswitchinterval() == 0.005
    finally:
        sys.setswitchinterval(before)
