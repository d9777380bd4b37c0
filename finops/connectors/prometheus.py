"""Prometheus text exposition parsed in SQL, shared by the DCGM and LLM-serving scrapes.

DuckDB reads a scrape as lines and splits each sample line into metric, labels, value and an
optional millisecond timestamp, so a large file never becomes a Python list. One definition keeps
both readers agreeing on what a sample line is.
"""

from __future__ import annotations

from finops.warehouse.connection import sql_literal

# ASCII unit separator: never in a log line, so DuckDB hands over each line whole
LINES = "read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = false, delim = chr(31), quote = '', escape = '', auto_detect = false)"

# CTEs ``lines``, ``matched`` and ``samples`` (metric, labels map, value, sampled_at) over the file
# ``{lines}``; ``?`` dates samples without their own timestamp (the exporter's default)
SAMPLES_SQL = """
        lines as (

            select trim(line) as line from {lines}

        ),

        matched as (

            select
                line,
                regexp_extract(
                    line,
                    '^([A-Za-z_:][A-Za-z0-9_:]*)(\\{{(.*)\\}})?[ \\t]+([^ \\t]+)([ \\t]+(-?[0-9]+))?$',
                    ['metric', 'braces', 'labels', 'value', 'rest', 'epoch_ms']
                ) as m
            from lines
            where line <> '' and not starts_with(line, '#')

        ),

        samples as (

            select
                m.metric                                                       as metric,
                map(
                    regexp_extract_all(m.labels, '([A-Za-z_][A-Za-z0-9_]*)="', 1),
                    regexp_extract_all(m.labels, '="((?:[^"\\\\]|\\\\.)*)"', 1)
                )                                                              as labels,
                try_cast(m.value as double)                                    as value,
                coalesce(make_timestamp(try_cast(nullif(m.epoch_ms, '') as bigint) * 1000), ?) as sampled_at
            from matched

        )"""


def samples_sql(path: str) -> str:
    """The CTEs over the scrape at ``path``, ready to follow a ``with``."""
    return SAMPLES_SQL.format(lines=LINES.format(path=sql_literal(path)))
