"""What every engine's write (rebuild, update) keeps and reports, whatever the engine: the
summary, the rule that a write never loses the index, and the points where a fault test stops
a write."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import SourceTooSmall
from .sources import Problem, ReadReport

Progress = Callable[[int], None]

# Test hook (tests/test_faults.py): a writer stops itself (SIGSTOP) at the named point, so that
# a test can `kill -9` it exactly there. Points: rebuild:start, rebuild:added (after the 100th
# article), rebuild:committed (new generation complete, `current` not yet switched),
# rebuild:switched, update:added, update:committed.
FAULT_POINT_ENV = "SEARCHAPP_FAULT_POINT"


def fault_point(name: str) -> None:
    if os.environ.get(FAULT_POINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGSTOP)


@dataclass
class WriteSummary:
    indexed: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    @property
    def repaired(self) -> list[Problem]:
        return [p for p in self.problems if not p.skipped]


# --- never lose an index to a bad source --------------------------------------------------------

# A reindex or update whose sources give fewer than this share of the live index's articles is
# refused unless the user says so (`--allow-shrink`); one whose sources give none, always. Both
# engines apply it (index.py, engines/solr/indexing.py).
SHRINK_LIMIT = 0.5


def check_size(action: str, count: int, live: int | None, allow_shrink: bool, report: ReadReport,
               holder: str, kept: str) -> None:
    """Refuse a write that would leave no articles, or far fewer than the live index has;
    `holder` names what holds them (`the index's`), `kept` what stays (`the index keeps ...`)."""
    skipped = report.skipped
    why = f" ({len(skipped)} skipped, the first: {skipped[0]})" if skipped else ""
    if count == 0:
        raise SourceTooSmall(f"{action} refused: the sources gave no articles{why}; {kept}; check --source")
    if live and count < live * SHRINK_LIMIT and not allow_shrink:
        raise SourceTooSmall(
            f"{action} refused: the sources gave {count} articles, fewer than half of {holder} {live}{why}; "
            f"{kept}; check --source, or pass --allow-shrink to replace them")
