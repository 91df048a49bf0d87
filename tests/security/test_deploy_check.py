"""``bihuan check --deploy`` is clean on the production settings of docs/deploy.md."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_on_the_documented_production_settings(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BIHUAN_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update(
        {
            # deploy/bihuan.env.example, with a real secret.
            "DATABASE_URL": "postgresql://bihuan:pw@127.0.0.1:5432/bihuan",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BIHUAN_SECRET_KEY": secrets.token_urlsafe(60),
            "BIHUAN_ALLOWED_HOSTS": "helpdesk.example.com",
            "BIHUAN_CSRF_TRUSTED_ORIGINS": "https://helpdesk.example.com",
            "BIHUAN_SECURE_COOKIES": "true",
            "BIHUAN_DATA_DIR": str(tmp_path),
            "BIHUAN_BEHIND_PROXY": "true",
            "DJANGO_SETTINGS_MODULE": "bihuan.settings",
        }
    )

    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
