"""Prints each SMS to stdout: for development, like Django's console e-mail backend."""

from __future__ import annotations

import sys

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_messages(self, messages) -> int:
        for m in messages:
            self.stream.write(f"SMS from {m.sender or '-'} to {m.to}\n{m.body}\n{'-' * 40}\n")
        self.stream.flush()
        return len(messages)
