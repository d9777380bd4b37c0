"""The docs stay honest: every command documented with an example that parses, every column described."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib

import pytest

import finops
from finops.cli.app import EXAMPLES, main, parser
from finops.models.project import load_models
from finops.warehouse.catalog import relations
from finops.warehouse.columns.focus import FOCUS_COLUMNS
from tests.conftest import REAL_CUR, ROOT

CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
TABLES_DOC = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def doc_commands(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip().startswith("finops ")]


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_help_with_an_example_and_a_doc_section(command, capsys):
    assert main([*command.split(), "--help"]) == 0
    assert "example:" in capsys.readouterr().out
    assert f"## finops {command}\n" in CLI_DOC


@pytest.mark.parametrize("line", doc_commands(CLI_DOC) + doc_commands(README))
def test_documented_command_lines_parse(line):
    segments: list[list[str]] = [[]]
    for word in shlex.split(line):
        if word == "&&":
            segments.append([])
        else:
            segments[-1].append(word)
    for words in segments:
        if words and words[0] == "finops":
            parser().parse_args(words[1:])


def test_readme_gives_the_two_commands_the_ci_runs():
    assert "pip install . && finops demo" in README
    test_command = "pip install '.[test]' && python -m pytest -q"
    assert test_command in README
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_costs_column_is_documented():
    documented = tomllib.loads((ROOT / "sql" / "columns.toml").read_text(encoding="utf-8"))["columns"]
    con = finops.connect(":memory:")
    finops.build(con)
    columns = [name for (name,) in con.execute("select column_name from duckdb_columns() where table_name = 'costs' order by column_index").fetchall()]
    assert columns[: len(FOCUS_COLUMNS)] == list(FOCUS_COLUMNS)
    assert set(columns) <= set(documented)
    for column in columns:
        assert f"| {column} |" in TABLES_DOC


def test_every_model_is_described_and_in_the_docs():
    for model in load_models():
        assert model.description, f"{model.path}: no description in {model.path.with_suffix('.toml').name}"
        assert model.name in TABLES_DOC


def test_usage_errors_exit_2_and_bad_queries_exit_1(run, tmp_path):
    assert main(["ingest"]) == 2
    assert main(["no-such-command"]) == 2
    code, _, _ = run("ingest", "aws", str(REAL_CUR))
    assert code == 0
    code, _, err = run("query", "select nope from costs")
    assert code == 1 and err.startswith("finops: query: ") and len(err.strip().splitlines()) == 1
    code, _, err = run("query", "drop table costs")  # query is read-only
    assert code == 1
    code, out, _ = run("query", "select count(*) as n from costs", "--format", "csv")
    assert out == "n\n1281\n"


def test_quiet_prints_nothing(run):
    code, out, err = run("ingest", "aws", str(REAL_CUR), "--quiet")
    assert (code, out, err) == (0, "", "")


def test_reading_a_missing_warehouse_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "finops", "status", "--db", str(tmp_path / "none.duckdb")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "no warehouse here yet" in result.stderr and "Traceback" not in result.stderr


def test_finops_db_environment_variable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FINOPS_DB", str(tmp_path / "env.duckdb"))
    assert main(["ingest", "aws", str(REAL_CUR), "-q"]) == 0
    assert (tmp_path / "env.duckdb").exists()
    assert main(["status"]) == 0
    assert "123412340534" in capsys.readouterr().out


def test_schema_reference_is_current():
    from finops.models.docs import schema_markdown

    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is stale: run `finops schema --out docs/schema.md`")


def test_every_relation_and_column_carries_a_comment():
    con = finops.connect(":memory:")
    finops.build(con)
    missing = con.execute(
        """select table_name || '.' || column_name from duckdb_columns()
           where schema_name = 'main' and not internal and coalesce(comment, '') = ''"""
    ).fetchall()
    assert missing == []
    undescribed = [name for name, _, text in relations(con) if not text]
    assert undescribed == []


def test_query_writes_parquet_and_csv_files(run, tmp_path):
    import duckdb

    assert run("ingest", "aws", str(REAL_CUR))[0] == 0
    out = tmp_path / "by_service.parquet"
    code, _, _ = run("query", "select ServiceName, sum(EffectiveCost) as cost from costs group by 1;", "--format", "parquet", "--out", str(out))
    assert code == 0
    back = duckdb.connect().execute(f"select count(*), sum(cost) from '{out}'").fetchone()
    assert back[0] == 14 and str(back[1]) == "1.6823086974"
    code, _, err = run("query", "select 1", "--format", "parquet")
    assert code == 2 and "needs --out" in err
    code, _, _ = run("query", "select count(*) as n from costs", "--format", "csv", "--out", str(tmp_path / "n.csv"))
    assert (tmp_path / "n.csv").read_text() == "n\n1281\n"
