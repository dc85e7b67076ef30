"""A real Apache Kafka 4.x broker on loopback: fetch the jars, format, start, wait, stop.

The jars come from Maven Central through `deploy/kafka/pom.xml` (once, into
`<kafka_dir>/libs`); the node runs as a single combined broker+controller (KRaft) with
the machine's Java 17+, its data and logs under `<state_dir>/kafka-node`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from streams.processes import PidFile, wait_until_ready
from streams.settings import PROJECT_ROOT, Settings

KAFKA_DEPLOY_DIR = PROJECT_ROOT / "deploy" / "kafka"
MIN_JAVA = 17


class BrokerError(RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped."""


@dataclass(frozen=True)
class LocalKafka:
    """One local KRaft node described by settings; methods act on its files and process."""

    settings: Settings

    @property
    def libs(self) -> Path:
        """Folder of the broker's jars."""
        return self.settings.kafka_dir / "libs"

    @property
    def node_dir(self) -> Path:
        """Folder of this node's config, data, logs and pid file."""
        return self.settings.state_dir / "kafka-node"

    @property
    def pid_file(self) -> Path:
        """Holds the broker's process id while it runs."""
        return self.node_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        """The broker's own log."""
        return self.node_dir / "logs" / "server.log"

    @property
    def host_port(self) -> tuple[str, int]:
        """Host and port of the first bootstrap server."""
        first = self.settings.kafka_bootstrap.split(",")[0].strip()
        host, _, port = first.rpartition(":")
        return host or "127.0.0.1", int(port)

    def fetched(self) -> bool:
        """True when the broker jars are present."""
        return any(self.libs.glob("kafka_2.13-*.jar"))

    def fetch(self) -> None:
        """Resolve the broker jars from Maven Central with Maven, once."""
        if self.fetched():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven (mvn) is needed to fetch the Kafka broker; install it first")
        partial = self.libs.with_name("libs.partial")
        shutil.rmtree(partial, ignore_errors=True)
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(KAFKA_DEPLOY_DIR / "pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={partial}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BrokerError(f"fetching the Kafka broker failed:\n{result.stdout}{result.stderr}")
        partial.rename(self.libs)

    def running_pid(self) -> int | None:
        """The broker's pid if its process is alive."""
        return PidFile(self.pid_file).running_pid()

    def start(self, timeout: float = 90.0) -> float:
        """Format on first use, start the node in the background, wait until it accepts
        connections; return the seconds it took to become ready."""
        if self.running_pid() is not None:
            return 0.0
        java = _java()
        self.fetch()
        config = self._write_config()
        data_dir = self.node_dir / "data"
        if not (data_dir / "meta.properties").exists():
            self._format(java, config)
        logs = self.log_file.parent
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / "stdout.log", "ab") as out:
            process = subprocess.Popen(  # noqa: S603
                [
                    java,
                    "-Xms256m",
                    "-Xmx768m",
                    "-XX:+UseG1GC",
                    f"-Dlog4j2.configurationFile={KAFKA_DEPLOY_DIR / 'log4j2.properties'}",
                    f"-Dkafka.logs.dir={logs}",
                    "-cp",
                    f"{self.libs}/*",
                    "kafka.Kafka",
                    str(config),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pids = PidFile(self.pid_file)
        pids.write(process.pid)
        host, port = self.host_port
        try:
            return wait_until_ready(
                process,
                pids,
                lambda: _accepts(host, port) and self._started_in_log(),
                timeout,
                "the broker",
            )
        except RuntimeError as error:
            raise BrokerError(f"{error}; see {self.log_file}") from error

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the node (SIGTERM, then SIGKILL after timeout); False if it was not running."""
        return PidFile(self.pid_file).stop(timeout)

    def _write_config(self) -> Path:
        host, port = self.host_port
        template = (KAFKA_DEPLOY_DIR / "server.properties.template").read_text()
        text = template.format(
            host=host,
            port=port,
            controller_port=self.settings.kafka_controller_port,
            data_dir=self.node_dir / "data",
            partitions=self.settings.partitions,
        )
        self.node_dir.mkdir(parents=True, exist_ok=True)
        path = self.node_dir / "server.properties"
        path.write_text(text)
        return path

    def _format(self, java: str, config: Path) -> None:
        base = [java, "-cp", f"{self.libs}/*", "kafka.tools.StorageTool"]
        cluster = subprocess.run(  # noqa: S603
            [*base, "random-uuid"], capture_output=True, text=True, check=False
        )
        cluster_id = cluster.stdout.strip().splitlines()[-1] if cluster.stdout.strip() else ""
        if cluster.returncode != 0 or not cluster_id:
            raise BrokerError(f"kafka-storage random-uuid failed: {cluster.stderr}")
        result = subprocess.run(  # noqa: S603
            [*base, "format", "-t", cluster_id, "-c", str(config), "--standalone"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BrokerError(
                f"formatting the KRaft storage failed: {result.stdout}{result.stderr}"
            )

    def _started_in_log(self) -> bool:
        try:
            with open(self.log_file, "rb") as log:
                return b"Kafka Server started" in log.read()
        except FileNotFoundError:
            return False


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise BrokerError(f"Java {MIN_JAVA}+ is needed to run the Kafka broker; none found")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (
        (result.stderr or result.stdout).splitlines()[0] if (result.stderr or result.stdout) else ""
    )
    version = first.split('"')[1] if '"' in first else "0"
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major < MIN_JAVA:
        raise BrokerError(f"Kafka 4 needs Java {MIN_JAVA}+, found {first!r}")
    return java


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
