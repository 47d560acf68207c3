"""The production image and compose stack (items 18-22 of issue 19). Docker does not run on CI's
machines, so the Dockerfile, docker-compose.yml and .dockerignore are read as data and the build
script is run for real, on a copy of exactly what the Dockerfile copies."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_copies() -> list[str]:
    sources = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            sources.extend(line.split()[1:-1])
    return sources


def test_dockerfile_and_smoke_test_run_the_same_build_script():
    dockerfile = (ROOT / "Dockerfile").read_text()
    smoke = (ROOT / ".ci" / "smoke.py").read_text()

    assert "RUN sh config/build.sh" in dockerfile
    assert '"config/build.sh"' in smoke
    # Neither keeps a private copy of a build step that could drift from the script.
    for text in (dockerfile, smoke):
        assert not re.search(r'"collectstatic"|manage\.py collectstatic', text)
        assert not re.search(r'"compilemessages"|manage\.py compilemessages', text)


def test_build_script_on_the_image_files_writes_the_whitenoise_manifest(tmp_path):
    for source in dockerfile_copies():
        if source in {"pyproject.toml", "uv.lock", ".python-version"}:
            continue
        path = ROOT / source
        target = tmp_path / source
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(path, target)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CELERY_EAGER"}
    } | {"PYTHON": sys.executable, "GILDA_ENV": "dev", "DEBUG": "true"}

    result = subprocess.run(
        ["sh", "config/build.sh"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles" / "staticfiles.json").read_text()
    assert '"css/' in manifest or "css/" in manifest
    assert list((tmp_path / "profiles" / "locale" / "it" / "LC_MESSAGES").glob("*.mo"))


def test_compose_health_check_probes_healthz_on_the_container_itself(compose):
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/healthz" in probe


@pytest.mark.django_db
def test_healthz_answers_a_probe_whose_host_allowed_hosts_refuses(client, settings):
    settings.ALLOWED_HOSTS = ["gilda.example.com"]

    probe = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    page = client.get("/", HTTP_HOST="127.0.0.1:8000")

    assert probe.status_code == 200
    assert probe.json()["status"] == "ok"
    assert page.status_code == 400


@pytest.mark.parametrize("service", ["worker", "beat", "web"])
def test_app_services_wait_for_migrate_to_complete(compose, service):
    depends_on = compose["services"][service]["depends_on"]

    assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
    assert depends_on["redis"] == {"condition": "service_healthy"}


def test_migrate_waits_for_a_healthy_database(compose):
    assert compose["services"]["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_dockerignore_keeps_secrets_local_data_and_tools_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    for entry in [".env", "db.sqlite3", "media/", ".git", ".venv", "tests", "bench", "artifacts"]:
        assert entry in ignored, entry


def test_compose_puts_a_tls_proxy_in_front_of_web(compose):
    services = compose["services"]
    proxy = services["proxy"]
    command = " ".join(proxy["command"])

    assert proxy["image"].startswith("caddy:")
    assert "/etc/caddy/Caddyfile" in command
    assert "./config/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    caddyfile = (ROOT / "config" / "Caddyfile").read_text()
    assert "{$GILDA_DOMAIN} {" in caddyfile
    # The push channel's path goes to the ASGI process, unbuffered; everything else to web.
    assert "handle /rete/messaggi/eventi/* {" in caddyfile
    assert "reverse_proxy talk:8001" in caddyfile and "flush_interval -1" in caddyfile
    assert caddyfile.rstrip().endswith("reverse_proxy web:8000\n\t}\n}")
    assert "uvicorn" in services["talk"]["command"] and "ports" not in services["talk"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert proxy["depends_on"]["web"] == {"condition": "service_healthy"}
    # web is reachable only through the proxy, which is what BEHIND_TLS_PROXY=true assumes.
    assert "ports" not in services["web"]
    assert "BEHIND_TLS_PROXY=true" in (ROOT / ".env.example").read_text()


def test_compose_the_image_and_the_benchmarks_run_gunicorn_alike(compose):
    """The image's CMD is the compose file's web command, with the settings the benchmarks
    default to (their --worker-connections is bench/pages.py's WORKER_CONNECTIONS, which
    bench/load.py shares)."""
    from bench.pages import WORKER_CONNECTIONS

    web = compose["services"]["web"]["command"]
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert json.loads(cmd.group(1)) == web
    settings = dict(zip(web[2::2], web[3::2], strict=True))
    assert settings["--workers"] == "3"
    assert settings["--worker-class"] == "gthread"
    assert settings["--threads"] == "2"
    assert settings["--worker-connections"] == str(WORKER_CONNECTIONS)
