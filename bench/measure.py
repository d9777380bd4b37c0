"""Run a step of bench/steps.py in a fresh process and return what it measured."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(step: str, python: Path | str = sys.executable, timeout: float = 3600, env: dict[str, str] | None = None,
        **args: object) -> dict:
    """``python -m bench.steps step args`` from the repository root; its JSON line as a dict.

    The step runs in its own session so that, on timeout, it and any process it started (the
    peer's writer processes) are ended together; a failed step raises with its stderr's tail.
    """
    child = subprocess.Popen([str(python), "-m", "bench.steps", step, json.dumps(args, default=str)],
                             cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise RuntimeError(f"bench step {step} did not finish in {timeout:.0f}s") from None
    if child.returncode != 0:
        raise RuntimeError(f"bench step {step} failed ({child.returncode}): {err.strip()[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])
