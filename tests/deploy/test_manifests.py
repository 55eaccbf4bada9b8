"""deploy/: every YAML file parses, and the pieces the operations guide relies on are there.

No container engine or cluster runs here, so these check structure, not behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def k8s_objects() -> list[dict[str, Any]]:
    return [d for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in documents(p)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_objects() if d.get("kind") == kind}


def test_every_yaml_under_deploy_parses() -> None:
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert len(files) >= 7
    for path in files:
        assert documents(path), f"{path} is empty"


def test_compose_has_the_whole_stack() -> None:
    """PostgreSQL, Redis, a migration step, two API replicas, two workers and nginx with TLS."""
    services = documents(DEPLOY / "compose.yaml")[0]["services"]
    assert {"postgres", "redis", "migrate", "api", "worker", "nginx"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["api"]["command"][0] == "serve"
    assert services["worker"]["command"] == ["worker"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["HOTLINE_ENV"] == "production"
    assert "443:443" in services["nginx"]["ports"]


def test_nginx_passes_forwarded_headers_and_keeps_the_path() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header}" in conf
    assert "listen 443 ssl" in conf
    assert "client_max_body_size 64k" in conf
    # proxy_pass without a URI part: the path reaches the app unchanged (the signature covers it).
    targets = re.findall(r"proxy_pass\s+([^;]+);", conf)
    assert targets
    assert set(targets) == {"http://hotline_api"}
    assert "$request_uri" not in conf.split("log_format", 1)[1].split(";", 1)[0]


def test_dockerfile_is_multi_stage_and_not_root() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    user_lines = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert all(not line.split()[1].startswith(("root", "0")) for line in user_lines)
    assert '"hotline"' in text.split("ENTRYPOINT", 1)[1].splitlines()[0]


def probe_path(container: dict[str, Any], probe: str) -> str:
    return str(container[probe]["httpGet"]["path"])


def test_api_deployment_probes_readyz_and_healthz() -> None:
    api = by_kind("Deployment")["hotline-api"]
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "serve"
    assert probe_path(container, "readinessProbe") == "/readyz"
    assert probe_path(container, "livenessProbe") == "/healthz"
    assert api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_worker_deployment_has_probes() -> None:
    worker = by_kind("Deployment")["hotline-worker"]
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["worker"]
    assert "readinessProbe" in container
    assert "livenessProbe" in container


@pytest.mark.parametrize("kind", ["HorizontalPodAutoscaler", "PodDisruptionBudget"])
def test_api_and_worker_have(kind: str) -> None:
    assert {"hotline-api", "hotline-worker"} <= set(by_kind(kind))


def test_secret_network_policy_and_migration_job() -> None:
    assert "hotline" in by_kind("Secret")
    assert by_kind("NetworkPolicy")
    job = by_kind("Job")["hotline-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_systemd_units_run_the_cli() -> None:
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    assert "hotline serve" in units["hotline-api@.service"]
    assert "hotline worker" in units["hotline-worker@.service"]
    assert "hotline db upgrade" in units["hotline-migrate.service"]
    for name in ("hotline-api@.service", "hotline-worker@.service"):
        assert "User=hotline" in units[name]


def test_on_a_shared_host_the_webhooks_come_before_the_pipeline() -> None:
    """docs/performance.md: under a burst the API keeps the CPU and the workers catch up later."""
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    assert "Nice=10" in units["hotline-worker@.service"]
    assert "Nice=" not in units["hotline-api@.service"]
