"""The performance issue's targets, each printed met or MISSED beside what was measured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MIB_PER_GIB = 1024
RSS_LIMIT_GIB = 3
FINOPS_STEPS_EXCLUDED = ("DuckDB raw load", "focus-converter 1.0.0")


@dataclass(frozen=True)
class Target:
    """One line of the targets table: its wording and how to judge it from the measurements."""

    name: str
    judge: Callable[[dict], tuple[str, bool] | None]  # (measured, met), or None when not measured


def _ratio_to_raw(shape: str, step: str, limit: float) -> Callable[[dict], tuple[str, bool] | None]:
    def judge(at: dict) -> tuple[str, bool] | None:
        raw, ours = at.get(("DuckDB raw load", shape)), at.get((step, shape))
        if not raw or not ours:
            return None
        ratio = ours["seconds"] / raw["seconds"]
        return f"{ratio:.2f}x ({ours['seconds']:.1f} s vs {raw['seconds']:.1f} s)", ratio <= limit
    return judge


def _seconds(step: str, limit: float, shape: str = "cur2") -> Callable[[dict], tuple[str, bool] | None]:
    def judge(at: dict) -> tuple[str, bool] | None:
        found = next((r for (s, b), r in at.items() if s.startswith(step) and b == shape), None)
        return None if found is None else (f"{found['seconds']:.2f} s", found["seconds"] < limit)
    return judge


def _resources(at: dict) -> tuple[str, bool] | None:
    few, many = at.get(("ingest+build", "cur2")), at.get(("ingest+build", "cur2-resources"))
    if not few or not many:
        return None
    ratio = many["seconds"] / few["seconds"]
    return (f"{ratio:.2f}x ({many['seconds']:.1f} s over {many['resources']:,} resources vs "
            f"{few['seconds']:.1f} s over {few['resources']:,})", ratio <= 1.3)


def _peak_rss(at: dict) -> tuple[str, bool] | None:
    peaks = [(r["peak_rss_mib"], f"{s}, {b}") for (s, b), r in at.items()
             if s not in FINOPS_STEPS_EXCLUDED and "cap" not in s]
    if not peaks:
        return None
    peak, where = max(peaks)
    return f"{peak / MIB_PER_GIB:.2f} GiB ({where})", peak < RSS_LIMIT_GIB * MIB_PER_GIB


def _year_rss(at: dict) -> tuple[str, bool] | None:
    year = next((r for (s, _), r in at.items() if s.startswith("load ") and s.endswith(" months")), None)
    return None if year is None else (f"{year['peak_rss_mib'] / MIB_PER_GIB:.2f} GiB",
                                      year["peak_rss_mib"] < RSS_LIMIT_GIB * MIB_PER_GIB)


def _restated(at: dict) -> tuple[str, bool] | None:
    single = at.get(("load 1 month into an empty warehouse", "cur2"))
    refreshed = next((r for (s, _), r in at.items() if s.startswith("refresh of restated")), None)
    if not single or not refreshed:
        return None
    ratio = refreshed["seconds"] / single["seconds"]
    return f"{ratio:.2f}x ({refreshed['seconds']:.1f} s vs {single['seconds']:.1f} s)", ratio <= 1.5


def _peer(at: dict) -> tuple[str, bool] | None:
    ours, peer = at.get(("ingest+build+export focus", "legacy")), at.get(("focus-converter 1.0.0", "legacy as Parquet"))
    if not ours or not peer:
        return None
    return f"{ours['seconds']:.1f} s vs {peer['seconds']:.1f} s", ours["seconds"] < peer["seconds"]


TARGETS = (
    Target("10M CUR 2.0 ingest+build within 2.5x of DuckDB's raw load", _ratio_to_raw("cur2", "ingest+build", 2.5)),
    Target("the same under a 3GB cap", _ratio_to_raw("cur2", "ingest+build, 3GB cap", 2.5)),
    Target("10M legacy CUR CSV.gz ingest+build within 2.5x of DuckDB's raw load",
           _ratio_to_raw("legacy", "ingest+build", 2.5)),
    Target("the same under a 3GB cap", _ratio_to_raw("legacy", "ingest+build, 3GB cap", 2.5)),
    Target(f"peak RSS < {RSS_LIMIT_GIB} GiB with finops's default settings", _peak_rss),
    Target("10M GCP Parquet ingest+build within 3x of DuckDB's raw load", _ratio_to_raw("gcp", "ingest+build", 3)),
    Target("10M GCP JSONL.gz ingest+build within 3x of DuckDB's raw load",
           _ratio_to_raw("gcp-jsonl", "ingest+build", 3)),
    Target("1M rows over 200,000 resources within 1.3x of the same rows over 3,700", _resources),
    Target("ingest+build+export faster than focus-converter", _peer),
    Target("no-op refresh < 0.5 s, interpreter start included", _seconds("no-op refresh", 0.5)),
    Target("weekly report < 2 s", _seconds("weekly report", 2)),
    Target(f"100M year: loaded month by month with peak RSS < {RSS_LIMIT_GIB} GiB", _year_rss),
    Target("100M year: a restated month refreshes within 1.5x of loading it alone", _restated),
    Target("100M year: weekly report < 2 s", _seconds("year: weekly report", 2)),
    Target("100M year: `finops query` of a month's spend by team < 1 s", _seconds("year: finops query", 1)),
)


def table(at: dict, size: int) -> str:
    """The targets judged on the measurements ``at`` ((step, bill) -> result) of one size."""
    note = "" if size >= 10_000_000 else " (the targets are for 10M, the year's for 100M: these are indicative)"
    lines = [f"Targets, at {size:,} rows per bill{note}:", "", "| target | measured | |", "|---|---|---|"]
    for target in TARGETS:
        judged = target.judge(at)
        measured, verdict = ("", "not measured") if judged is None else (judged[0], "met" if judged[1] else "MISSED")
        lines.append(f"| {target.name} | {measured} | {verdict} |")
    return "\n".join(lines)
