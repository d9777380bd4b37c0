"""LLM serving counters from a model server's Prometheus scrape: vLLM, TGI and Triton.

A bill says what the GPUs behind an endpoint cost; the server's own counters say how many tokens
and requests they served, and the two together give a self-hosted cost per 1M tokens beside a
managed API's. The counters are cumulative since the server started, so the raw values land as
they are (``llm_serving_metrics``) and the models take the increase between consecutive scrapes,
a drop (a restart) counting the new value as the increase. Kinds are recognised by their metric
names, as DCGM scrapes are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from finops.connectors.prometheus import samples_sql
from finops.connectors.registry import Landed
from finops.warehouse.connection import sql_literal

# server kind -> its counters: source metric name -> what it counts; and the label naming the model
SERVING_KINDS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "vllm": ({"vllm:prompt_tokens_total": "prompt_tokens", "vllm:generation_tokens_total": "generation_tokens",
              "vllm:request_success_total": "requests"}, ("model_name",)),
    "tgi": ({"tgi_request_input_length_sum": "prompt_tokens", "tgi_request_generated_tokens_sum": "generation_tokens",
             "tgi_request_success": "requests"}, ("model_id", "model")),
    "triton": ({"nv_inference_request_success": "requests"}, ("model",)),
}


def serving_kind(head: list[str]) -> str | None:
    """vllm, tgi or triton when the scrape's first lines hold one of their counters, else None."""
    for kind, (counters, _) in SERVING_KINDS.items():
        prefixes = tuple(counters) + tuple(f"# {word} {name}" for name in counters for word in ("HELP", "TYPE"))
        if any(line.startswith(prefixes) for line in head):
            return kind
    return None


def land_serving(con: duckdb.DuckDBPyConnection, path: Path, kind: str, resource: str | None) -> Landed:
    """Replace the file's counter samples: one row per resource, model, counter and scrape time.

    ``resource`` names the endpoint or instance that served them (the bill's endpoint name or
    ResourceId); without it the file's name does. A scrape without timestamps is dated by the
    file's modification time."""
    counters, model_labels = SERVING_KINDS[kind]
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    metric_case = " ".join(f"when {sql_literal(name)} then {sql_literal(counter)}" for name, counter in counters.items())
    model = ", ".join(f"labels[{sql_literal(label)}]" for label in model_labels)
    con.execute("delete from llm_serving_metrics where source_file = ?", [str(path)])
    con.execute(f"""
        create or replace temp table serving_parsed as
        with {samples_sql(str(path))}
        select
            case metric {metric_case} end                 as counter,
            coalesce({model}, '')                         as model,
            sampled_at,
            value
        from samples
        where metric <> '' and value is not null
    """, [mtime])
    con.execute(
        "insert into llm_serving_metrics select ?, model, sampled_at, counter, sum(value), ?, ? "
        "from serving_parsed where counter is not null group by all",
        [resource or path.stem, kind, str(path)],
    )
    (samples,) = con.execute("select count(*) from llm_serving_metrics where source_file = ?", [str(path)]).fetchone()
    con.execute("drop table serving_parsed")
    return Landed(kind, rows=samples, resources=[resource or path.stem])
