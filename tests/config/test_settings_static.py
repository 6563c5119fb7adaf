"""Production static files: every asset a template names is in the hashed manifest WhiteNoise serves.

Tests render with plain static storage; in production (DEBUG off) a name missing from the manifest is a 500
on every page that uses it. So build the manifest the way the Dockerfile does and look each name up.
"""

import json
import re

from tests.config.sqlite_manage import BASE_DIR, manage, sqlite_env

STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]""")


def template_static_names() -> set[str]:
    names = set()
    for folder in [BASE_DIR / "templates", *BASE_DIR.glob("*/templates"), *BASE_DIR.glob("*/*/templates")]:
        for path in folder.rglob("*.html"):
            names |= set(STATIC_TAG.findall(path.read_text()))
    return names


def test_every_static_name_in_templates_is_in_the_production_manifest(tmp_path):
    static_root = tmp_path / "static"
    env = sqlite_env(tmp_path, STATIC_ROOT=str(static_root))
    manage(env, "collectstatic", "--noinput", timeout=120)
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    names = template_static_names()
    assert "css/app.css" in names
    assert sorted(names - set(manifest)) == []
