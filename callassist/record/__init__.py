"""Call records: an append-only, hash-chained journal per call, with audio, verification, export and search."""

from callassist.record.paths import RecordError, RecordWriteError, transcripts_root
from callassist.record.verify import BROKEN, INTERRUPTED, OPEN, VERIFIED, Problem, Record, load

__all__ = [
    "BROKEN",
    "INTERRUPTED",
    "OPEN",
    "VERIFIED",
    "Problem",
    "Record",
    "RecordError",
    "RecordWriteError",
    "load",
    "transcripts_root",
]
