"""Per-file outcomes and the summary ``progresstree codemod`` prints.

Worker processes hand each report back as a plain dict (``as_dict``), which
the parent turns into a ``FileReport`` again.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Mapping

WRITE = "write"
DIFF = "diff"
CHECK = "check"
MODES = (WRITE, DIFF, CHECK)

CHANGED = "changed"
SKIPPED = "skipped"
FAILED = "failed"


@dataclasses.dataclass
class FileReport:
    """What happened to one file."""

    path: str
    status: str
    reason: str = ""
    inserted: dict[str, int] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)
    diff: str = ""

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _quiet(reason: str, quiet: set[str]) -> bool:
    """Skips that are the normal case for most files are not listed one by one."""
    return reason in quiet or reason.startswith(("nothing to instrument", "no setlist service"))


def _describe(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: kv[0]))


@dataclasses.dataclass
class Summary:
    """Outcome of one run over a set of paths."""

    reports: list[FileReport]
    writes: bool

    def by_status(self, status: str) -> list[FileReport]:
        return [r for r in self.reports if r.status == status]

    @property
    def inserted(self) -> collections.Counter[str]:
        total: collections.Counter[str] = collections.Counter()
        for report in self.reports:
            total.update(report.inserted)
        return total

    def lines(self, *, verbose: bool = False, quiet_reasons: Iterable[str] = ()) -> list[str]:
        """Human-readable summary: one line per notable file, then the totals."""
        quiet = set(quiet_reasons)
        changed_word = "changed" if self.writes else "would change"
        lines = []
        for report in sorted(self.reports, key=lambda r: r.path):
            if report.status == CHANGED:
                lines.append(f"{changed_word}: {report.path} ({_describe(report.inserted)})")
            elif report.status == FAILED:
                lines.append(f"failed: {report.path}: {report.reason}")
            elif verbose or not _quiet(report.reason, quiet):
                lines.append(f"skipped: {report.path}: {report.reason}")
            if verbose or report.status == CHANGED:
                lines.extend(f"  warning: {w}" for w in report.warnings)
        changed = len(self.by_status(CHANGED))
        lines.append(
            f"{len(self.reports)} files: {changed} {changed_word}, "
            f"{len(self.by_status(SKIPPED))} skipped, {len(self.by_status(FAILED))} failed"
        )
        inserted = self.inserted
        if inserted:
            verb = "inserted" if self.writes else "would insert"
            lines.append(f"{verb}: {_describe(inserted)}")
        return lines
