from __future__ import annotations


class BaseSmsBackend:
    """What every SMS backend provides; ``enabled`` False means "SMS is not set up"."""

    enabled = True

    def send_messages(self, messages) -> int:
        raise NotImplementedError
