"""Production static files: every asset a template names is in the hashed manifest WhiteNoise serves.

Tests render with plain static storage; in production (DEBUG off) a name missing from the manifest is a 500
on every page that uses it. So build the manifest the way the Dockerfile does and look each name up.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]""")


def template_static_names() -> set[str]:
    names = set()
    for folder in [BASE_DIR / "templates", *BASE_DIR.glob("*/templates"), *BASE_DIR.glob("*/*/templates")]:
        for path in folder.rglob("*.html"):
            names |= set(STATIC_TAG.findall(path.read_text()))
    return names


def test_every_static_name_in_templates_is_in_the_production_manifest(tmp_path):
    static_root = tmp_path / "static"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    names = template_static_names()
    assert "css/app.css" in names
    assert sorted(names - set(manifest)) == []
