"""The call's session on a thread of its own: commands run in order, partials are coalesced, results come back
as messages to the screen. The UI thread never waits for a disk write or the matcher."""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from callassist.errors import CallassistError

_PARTIAL = object()


class SessionStarted(Message):
    """The record is open; `session` is the live CallSession (read its attributes only from messages)."""

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session


class Journaled(Message):
    """An event is on disk (the journal's dict, with seq, type and at)."""

    def __init__(self, event: dict) -> None:
        super().__init__()
        self.event = event


class Matched(Message):
    """The matcher's decision for an utterance (final) or for the words so far (partial)."""

    def __init__(self, match: Any, *, speaker: str, partial: bool, event: dict | None = None) -> None:
        super().__init__()
        self.match, self.speaker, self.partial, self.event = match, speaker, partial, event


class SessionFailed(Message):
    """A command could not be carried out (`error.message(chinese)` words it in either language); `fatal` when the
    record could not even be opened."""

    def __init__(self, error: CallassistError, *, fatal: bool = False) -> None:
        super().__init__()
        self.error, self.fatal = error, fatal


class SessionClosed(Message):
    """The record is closed: `info` has folder, final_digest, duration and audio_sha256."""

    def __init__(self, info: Any) -> None:
        super().__init__()
        self.info = info


class SessionRunner:
    """Owns one CallSession on one thread. `submit` queues a method call; `partial` keeps only the latest text."""

    def __init__(self, target: MessagePump, open_session: Callable[[], Any]) -> None:
        self.target = target
        self.open_session = open_session
        self.session: Any = None
        self.closed = False
        self._queue: SimpleQueue = SimpleQueue()
        self._partials: dict[str, str] = {}
        self._lock = threading.Lock()

    def submit(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Call `session.<method>(*args, **kwargs)` on the session thread, after everything queued before."""
        self._queue.put((method, args, kwargs))

    def partial(self, speaker: str, text: str) -> None:
        """Match the words so far; if several arrive before the thread gets to them, only the latest counts."""
        with self._lock:
            first = not self._partials
            self._partials[speaker] = text
        if first:
            self._queue.put(_PARTIAL)

    def close(self, reason: str = "") -> None:
        """Close the record after the commands already queued, then end the thread."""
        self._queue.put(("close", (reason,), {}))

    def abandon(self) -> None:
        """End the thread without closing (the record will be found and marked interrupted)."""
        self._queue.put(None)

    def _post(self, message: Message) -> None:
        self.target.post_message(message)

    def run(self) -> None:
        """The thread's body (run it in a thread worker)."""
        try:
            session = self.open_session()
        except CallassistError as e:
            self.closed = True
            self._post(SessionFailed(e, fatal=True))
            return
        self.session = session
        session.subscribe(lambda event: self._post(Journaled(event)))
        self._post(SessionStarted(session))
        while True:
            item = self._queue.get()
            if item is None:
                return
            if item is _PARTIAL:
                self._run_partials(session)
                continue
            method, args, kwargs = item
            try:
                result = getattr(session, method)(*args, **kwargs)
            except CallassistError as e:
                self._post(SessionFailed(e))
                if method == "close":
                    return
                continue
            if method == "utterance":
                event, match = result
                if match is not None:  # the user's own words are not matched
                    self._post(Matched(match, speaker=args[0], partial=False, event=event))
            elif method == "close":
                self.closed = True
                self._post(SessionClosed(result))
                return

    def _run_partials(self, session: Any) -> None:
        with self._lock:
            pending, self._partials = self._partials, {}
        for speaker, text in pending.items():
            try:
                match = session.partial(speaker, text)
            except CallassistError as e:
                self._post(SessionFailed(e))
                continue
            if match is not None:
                self._post(Matched(match, speaker=speaker, partial=True))
