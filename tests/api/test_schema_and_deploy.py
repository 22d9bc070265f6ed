"""The OpenAPI schema generates without a warning, and the production settings pass Django's
deployment checks (DESIGN.md "Privacy and safety")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_openapi_schema_has_no_warnings():
    result = subprocess.run([sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
                             "--file", os.devnull], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_production_settings_pass_the_deployment_checks():
    env = {**os.environ, "SECRET_KEY": "k" * 12 + "-production-secret-not-a-placeholder-0123456789abcdef",
           "DEBUG": "false", "ALLOWED_HOSTS": "coldchain.example.org", "SECURE_SSL_REDIRECT": "true",
           "SESSION_COOKIE_SECURE": "true", "CSRF_COOKIE_SECURE": "true", "SECURE_HSTS_SECONDS": "31536000",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "TESTING"):  # set by other tests
        env.pop(name, None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
