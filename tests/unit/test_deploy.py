"""The compose deployment stays consistent with the repository, the CLI and the settings.

No Docker engine is needed: docker-compose.yml, deploy/Dockerfile and the Prometheus
configuration are parsed and checked against the code they run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from streams.cli import _parser
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
PROMETHEUS_FILE = PROMETHEUS_DIR / "prometheus.yml"
RULES_FILE = PROMETHEUS_DIR / "alerts.yml"
RULES_TEST_FILE = PROMETHEUS_DIR / "alerts_test.yml"
ALERTMANAGER_FILE = PROMETHEUS_DIR / "alertmanager.yml"
PREFIX = "WORKSIGNALS_"
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


# -- helpers -------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no services"
    return document


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _build(service: dict[str, Any]) -> tuple[Path, Path] | None:
    """(context, dockerfile) of a service that is built, else None."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    return context, (context / build.get("dockerfile", "Dockerfile")).resolve()


def _ours() -> dict[str, dict[str, Any]]:
    """The services built from deploy/Dockerfile, i.e. running the worksignals image."""
    ours = {}
    for name, service in _services().items():
        build = _build(service)
        if build is not None and build[1] == DOCKERFILE.resolve():
            ours[name] = service
    return ours


def _environment(service: dict[str, Any]) -> dict[str, str | None]:
    """The service's environment, list or mapping form, values as strings."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in raw)
        return {key: value for key, value in pairs}
    return {key: None if value is None else str(value) for key, value in raw.items()}


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with an empty environment: the default (or nothing)."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def _verbs() -> set[str]:
    parser = _parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1, "the CLI should have exactly one set of subcommands"
    return set(actions[0].choices)


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "deploy/Dockerfile ends with a continuation line"
    return instructions


def _exec_form(arguments: str) -> list[str]:
    """Arguments of CMD/ENTRYPOINT/COPY: JSON array form, or shell words."""
    if arguments.startswith("["):
        words = json.loads(arguments)
        assert isinstance(words, list) and all(isinstance(w, str) for w in words), arguments
        return words
    return shlex.split(arguments)


def _last(instruction: str) -> list[str] | None:
    found = [rest for keyword, rest in _dockerfile() if keyword == instruction]
    return _exec_form(found[-1]) if found else None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def _copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY/ADD from the build context."""
    copies = []
    for keyword, rest in _dockerfile():
        if keyword not in {"COPY", "ADD"}:
            continue
        words = _exec_form(rest)
        if any(w.startswith("--from") for w in words):
            continue  # from another stage or image, not the build context
        words = [w for w in words if not w.startswith("--")]
        assert len(words) >= 2, f"{keyword} {rest}: needs a source and a destination"
        copies.append((words[:-1], words[-1]))
    return copies


def _worker_port() -> int:
    value = _environment(_services()["worker"]).get(f"{PREFIX}WEB_PORT")
    return int(_interpolate(value)) if value else Settings.model_fields["web_port"].default


# -- docker-compose.yml ----------------------------------------------------------------------


def test_compose_has_the_services() -> None:
    services = _services()
    for name in ("kafka", "clickhouse", "migrate", "worker", "prometheus", "alertmanager"):
        assert name in services, f"service {name} missing from docker-compose.yml"
    assert {"migrate", "worker"} <= set(_ours()), "migrate and worker must build deploy/Dockerfile"


def test_build_contexts_and_dockerfiles_exist() -> None:
    built = {name: _build(s) for name, s in _services().items() if "build" in s}
    assert built, "no service is built"
    for name, paths in built.items():
        assert paths is not None
        context, dockerfile = paths
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert dockerfile.is_file(), f"{name}: dockerfile {dockerfile} does not exist"
        assert dockerfile.is_relative_to(context), f"{name}: dockerfile outside its context"


def test_bind_mount_sources_exist() -> None:
    mounts = 0
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                if volume.get("type") != "bind":
                    continue
                source = volume["source"]
            else:
                source = volume.split(":", 1)[0]
                if not source.startswith((".", "/", "~")):
                    continue  # a named volume
            mounts += 1
            path = (COMPOSE_FILE.parent / source).resolve()
            assert path.exists(), f"{name}: bind mount source {source} does not exist"
            assert path.is_relative_to(ROOT), f"{name}: bind mount {source} outside the repo"
    assert mounts, "expected at least the Prometheus configuration to be bind-mounted"


def test_named_volumes_are_declared() -> None:
    declared = set(_compose().get("volumes") or {})
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source = volume.get("source") if volume.get("type") == "volume" else None
            else:
                source = volume.split(":", 1)[0] if ":" in volume else None
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_commands_run_real_cli_verbs() -> None:
    verbs = _verbs()
    assert {"worker", "migrate"} <= verbs
    image_entrypoint = _last("ENTRYPOINT") or []
    image_cmd = _last("CMD") or []
    # The image alone runs the worker.
    assert [*image_entrypoint, *image_cmd][:2] == ["worksignals", "worker"]
    seen = set()
    for name, service in _ours().items():
        entrypoint = _as_list(service.get("entrypoint", image_entrypoint))
        command = _as_list(service.get("command", image_cmd))
        if "command" in service:
            assert command[0] == "worksignals", f"{name}: command must start with worksignals"
        argv = [*entrypoint, *command]
        assert len(argv) >= 2, f"{name}: runs {argv}"
        assert argv[0] == "worksignals", f"{name}: runs {argv}, not the worksignals CLI"
        assert argv[1] in verbs, f"{name}: {argv[1]!r} is not a subcommand ({sorted(verbs)})"
        _parser().parse_args(argv[1:])  # the whole command line is accepted
        seen.add(argv[1])
    assert {"worker", "migrate"} <= seen


def test_worksignals_variables_are_settings() -> None:
    fields = set(Settings.model_fields)
    for name, service in _ours().items():
        env = _environment(service)
        assert any(k.startswith(PREFIX) for k in env), f"{name}: no {PREFIX}* variable"
        for key in env:
            if key.startswith(PREFIX):
                field = key.removeprefix(PREFIX).lower()
                assert field in fields, f"{name}: {key} sets no field of Settings"


def test_worksignals_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in _ours().items():
        for key in [k for k in os.environ if k.startswith(PREFIX)]:
            monkeypatch.delenv(key)
        for key, value in _environment(service).items():
            if key.startswith(PREFIX) and value is not None:
                monkeypatch.setenv(key, _interpolate(value))
        settings = Settings()  # raises on a value of the wrong type
        assert not settings.embedded_clickhouse, f"{name}: should use the ClickHouse server"


def test_worker_reaches_the_other_services() -> None:
    services = _services()
    env = {k: _interpolate(v or "") for k, v in _environment(services["worker"]).items()}
    for server in env[f"{PREFIX}KAFKA_BOOTSTRAP"].split(","):
        host, _, port = server.strip().rpartition(":")
        assert host in services, f"Kafka bootstrap {server} is not a compose service"
        advertised = str(_environment(services[host]).get("KAFKA_ADVERTISED_LISTENERS"))
        assert f"//{host}:{port}" in advertised, f"{server} is not advertised by {host}"

    url = urlsplit(env[f"{PREFIX}CLICKHOUSE_URL"])
    assert url.scheme in {"http", "https"}
    assert url.hostname in services, f"ClickHouse host {url.hostname} is not a compose service"
    clickhouse = {
        k: _interpolate(v or "") for k, v in _environment(services[str(url.hostname)]).items()
    }
    assert url.port == 8123
    assert url.path.strip("/") == clickhouse["CLICKHOUSE_DB"]
    assert url.username == clickhouse["CLICKHOUSE_USER"]
    assert url.password == clickhouse["CLICKHOUSE_PASSWORD"]

    assert env.get(f"{PREFIX}WEB_HOST") == "0.0.0.0", "the worker must listen beyond loopback"
    web_port = _worker_port()
    published = [str(p) for p in services["worker"].get("ports", [])]
    assert any(p.split(":")[-1].split("/")[0] == str(web_port) for p in published), published
    state = env.get(f"{PREFIX}STATE_DIR")
    assert state, "the worker needs a persistent state dir"
    targets = [
        str(v).split(":")[1] for v in services["worker"].get("volumes", []) if isinstance(v, str)
    ]
    assert state in targets, f"{state} is not a volume of the worker"


def test_depends_on_targets_exist() -> None:
    services = _services()
    for name, service in services.items():
        depends = service.get("depends_on") or []
        for target in depends:
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
    worker = services["worker"]["depends_on"]
    assert worker["kafka"]["condition"] == "service_healthy"
    assert worker["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    for target in ("kafka", "clickhouse"):
        assert "healthcheck" in services[target], f"{target} is waited on but has no healthcheck"


# -- deploy/Dockerfile ---------------------------------------------------------------------


def test_dockerfile_copy_sources_exist() -> None:
    context = _ours()["worker"]
    paths = _build(context)
    assert paths is not None
    root = paths[0]
    copies = _copies()
    assert copies, "deploy/Dockerfile copies nothing"
    for sources, destination in copies:
        matched = 0
        for source in sources:
            if glob.has_magic(source):
                # Docker accepts a wildcard that matches nothing next to other sources.
                matched += len(glob.glob(str(root / source)))
            else:
                assert (root / source).exists(), f"COPY source {source} is not in the repo"
                matched += 1
        assert matched, f"COPY {sources} {destination}: nothing to copy"


def test_dockerfile_installs_the_checkout_editable() -> None:
    """PROJECT_ROOT (parent of streams/) must hold deploy/clickhouse: copied, not packaged."""
    instructions = _dockerfile()
    workdirs = [rest for keyword, rest in instructions if keyword == "WORKDIR"]
    assert workdirs, "no WORKDIR"
    copied = {src.rstrip("/") for sources, _ in _copies() for src in sources}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["setuptools"]["packages"]
    for needed in [*{p.split(".")[0] for p in packages}, "pyproject.toml", "deploy"]:
        assert needed in copied, f"deploy/Dockerfile does not copy {needed}"
    assert (ROOT / "deploy" / "clickhouse").is_dir()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert re.search(r"pip install\b[^&;]*\s(-e|--editable)\s+\.", runs), (
        "install editable so deploy/clickhouse is found next to the streams package"
    )
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the image should not run as root"
    exposed = {
        int(p.split("/")[0])
        for keyword, rest in instructions
        if keyword == "EXPOSE"
        for p in rest.split()
    }
    assert Settings.model_fields["web_port"].default in exposed


# -- deploy/prometheus/prometheus.yml ------------------------------------------------------


def test_prometheus_scrapes_the_worker() -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
    jobs = config["scrape_configs"]
    worker_targets = []
    for job in jobs:
        for static in job.get("static_configs", []):
            for target in static.get("targets", []):
                host, _, port = target.rpartition(":")
                if host == "worker":
                    worker_targets.append((job, int(port)))
    assert worker_targets, "Prometheus does not scrape the worker service"
    for job, port in worker_targets:
        assert port == _worker_port(), f"worker scraped on {port}, listens on {_worker_port()}"
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job.get("scheme", "http") == "http"
    own = [t for job in jobs for s in job.get("static_configs", []) for t in s["targets"]]
    assert "localhost:9090" in own, "Prometheus should scrape itself"


def test_prometheus_mounts_this_configuration() -> None:
    prometheus = _services()["prometheus"]
    mounts = [str(v).split(":") for v in prometheus.get("volumes", [])]
    sources = {(COMPOSE_FILE.parent / m[0]).resolve(): m[1] for m in mounts if len(m) > 1}
    assert sources.get(PROMETHEUS_FILE.resolve()) == "/etc/prometheus/prometheus.yml"
    ports = [str(p) for p in prometheus.get("ports", [])]
    assert any(p.split(":")[-1] == "9090" for p in ports), ports


def _mounts(service: str) -> dict[Path, str]:
    """Bind mounts of a service: resolved source -> path in the container."""
    mounts = [str(v).split(":") for v in _services()[service].get("volumes", [])]
    return {(COMPOSE_FILE.parent / m[0]).resolve(): m[1] for m in mounts if len(m) > 1}


def _prometheus_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
    return config


def test_prometheus_loads_the_mounted_rules() -> None:
    """Every rule file the configuration names is mounted where Prometheus resolves it
    (relative to the configuration's folder), and the rules file is one of them."""
    container_dir = Path(_mounts("prometheus")[PROMETHEUS_FILE.resolve()]).parent
    rule_files = _prometheus_config().get("rule_files", [])
    assert rule_files, "prometheus.yml loads no rule_files"
    mounted = {Path(target): source for source, target in _mounts("prometheus").items()}
    for name in rule_files:
        target = container_dir / name
        assert target in mounted, f"rule file {name} is not mounted at {target}"
        assert mounted[target].parent == PROMETHEUS_DIR.resolve()
    assert RULES_FILE.resolve() in mounted.values()


def test_rules_cover_the_pipeline_health() -> None:
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    expressions = " ".join(str(r["expr"]) for r in alerts.values())
    for metric in (
        "up{",
        "worksignals_consumer_lag_messages",
        "worksignals_events_rejected_total",
        "worksignals_sink_failures_total",
        "worksignals_sink_failing",
        "worksignals_projection_behind_seconds",
        "worksignals_notify_failed_total",
        "worksignals_notify_pending",
    ):
        assert metric in expressions, f"no rule reads {metric}"
    worker_jobs = [j["job_name"] for j in _prometheus_config()["scrape_configs"]]
    assert 'up{job="worksignals-worker"}' in expressions and "worksignals-worker" in worker_jobs
    for name, rule in alerts.items():
        assert name.startswith("Worksignals"), name
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_docs_explain_every_rule() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert f"`{rule['alert']}`" in text, f"docs/operations.md misses {rule['alert']}"


def test_prometheus_sends_alerts_to_the_alertmanager_service() -> None:
    targets = [
        t
        for am in _prometheus_config()["alerting"]["alertmanagers"]
        for s in am["static_configs"]
        for t in s["targets"]
    ]
    assert targets == ["alertmanager:9093"]
    alertmanager = _services()["alertmanager"]
    assert _mounts("alertmanager").get(ALERTMANAGER_FILE.resolve()) == (
        "/etc/alertmanager/alertmanager.yml"
    )
    assert any(str(p).split(":")[-1] == "9093" for p in alertmanager.get("ports", []))
    assert "alertmanager" in _services()["prometheus"].get("depends_on", [])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (deploy/prerequisites.sh installs it)")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["promtool", "check", "config", str(PROMETHEUS_FILE)],
        ["promtool", "check", "rules", str(RULES_FILE)],
        # The rules' own tests: which series fire which alert, with which labels.
        ["promtool", "test", "rules", str(RULES_TEST_FILE)],
        ["amtool", "check-config", str(ALERTMANAGER_FILE)],
    ],
    ids=["config", "rules", "rule-tests", "alertmanager"],
)
def test_prometheus_tools_accept_the_files(argv: list[str]) -> None:
    result = subprocess.run(
        [_tool(argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
