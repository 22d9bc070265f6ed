"""No Docker engine runs here: check that the compose file parses and that each service's
command names a module or file that exists in this repository."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_shape():
    services = load_compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["build"] == "."
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DEBUG"] == "false"


def _module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


def test_each_service_command_names_something_that_exists():
    services = load_compose()["services"]
    web = services["web"]["command"]
    assert web[0] == "gunicorn"
    module, _, attribute = web[1].partition(":")
    assert _module_exists(module)
    assert attribute == "application"
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "coldchain"]
        assert _module_exists("coldchain.celery")
    worker = services["worker"]["command"]
    assert set(worker[worker.index("-Q") + 1].split(",")) == {"ingest", "evaluate", "alerts"}
    assert services["migrate"]["command"][:2] == ["python", "manage.py"]
    assert (ROOT / "manage.py").is_file()


def test_dockerfile_installs_requirements_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "coldchain.wsgi:application" in dockerfile


def test_env_example_lists_every_setting_read():
    import re

    settings_text = (ROOT / "coldchain" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', settings_text)) | set(re.findall(r'env\("([A-Z_]+)"', settings_text))
    example = (ROOT / ".env.example").read_text()
    missing = sorted(name for name in read if name not in example and name != "TESTING")
    assert not missing, f".env.example does not list {missing}"
