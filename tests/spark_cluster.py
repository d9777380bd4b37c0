"""A Spark standalone cluster on loopback for the tests: one master and two workers of one core each,
started from pyspark's own distribution, so a build runs in executors apart from the driver (their
own JVMs, work directories, shuffle and serialisation), as on a real cluster.

Use the ``spark_cluster`` fixture (module scope): it yields the master's URL, spark://127.0.0.1:PORT,
once both workers have registered, and stops the three JVMs after the module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port

WORKERS = 2
STARTUP_SECONDS = 120  # JVMs start slowly on a machine shared with other test runs


@dataclass
class Cluster:
    """The running master and workers: where to reach them and their logs for a failure message."""

    master_url: str
    web_ui: str
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def alive_workers(self) -> int:
        """How many workers the master counts as alive (its JSON status page), 0 while it starts."""
        try:
            with urllib.request.urlopen(f"{self.web_ui}/json/", timeout=5) as response:
                return int(json.load(response).get("aliveworkers", 0))
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        """Terminate every JVM this cluster started (workers first), killing those that linger."""
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def spark_home() -> Path:
    """pyspark's own distribution: its bin/spark-class starts the master and workers."""
    import pyspark

    return Path(pyspark.__file__).parent


def require_java() -> None:
    """Fail the tests that need a cluster with one clear line when there is no Java to start it."""
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and (Path(java_home) / "bin" / "java").exists()) and shutil.which("java") is None:
        pytest.fail("the Spark cluster tests need Java 17+: install a JDK or set JAVA_HOME", pytrace=False)


def start(root: Path) -> Cluster:
    """Start a master and WORKERS workers under ``root`` (logs, work directories) and wait for them."""
    require_java()
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(root / "logs"), "SPARK_WORKER_DIR": str(root / "work")}
    spark_class = str(spark_home() / "bin" / "spark-class")
    (root / "logs").mkdir(parents=True, exist_ok=True)
    port, web_port = free_port(), free_port()
    cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}", root / "logs")

    def launch(name: str, *args: str) -> None:
        log = (root / "logs" / f"{name}.log").open("w")
        cluster.processes.append(subprocess.Popen([spark_class, *args], env=env, stdout=log, stderr=subprocess.STDOUT))

    launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
           "--webui-port", str(web_port))
    for n in range(WORKERS):
        work = root / f"worker-{n}"
        work.mkdir(parents=True, exist_ok=True)
        launch(f"worker-{n}", "org.apache.spark.deploy.worker.Worker", cluster.master_url, "--host", "127.0.0.1",
               "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", "1", "--memory", "1g",
               "--work-dir", str(work))
    deadline = time.monotonic() + STARTUP_SECONDS
    while cluster.alive_workers() < WORKERS:
        dead = [p.args[1] for p in cluster.processes if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            cluster.stop()
            reason = f"{dead[0]} exited" if dead else f"fewer than {WORKERS} workers registered in {STARTUP_SECONDS}s"
            pytest.fail(f"Spark standalone cluster did not start: {reason}; logs in {cluster.logs}", pytrace=False)
        time.sleep(0.5)
    return cluster


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory) -> Iterator[str]:
    """The master URL of a running two-worker standalone cluster; the driver binds to loopback too."""
    cluster = start(tmp_path_factory.mktemp("spark-cluster"))
    previous = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # the driver's JVM, started later, listens where executors reach it
    try:
        yield cluster.master_url
    finally:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        if session is not None:  # the builds' session ran on this cluster: later tests start their own
            session.stop()
        if previous is None:
            os.environ.pop("SPARK_LOCAL_IP", None)
        else:
            os.environ["SPARK_LOCAL_IP"] = previous
        cluster.stop()
