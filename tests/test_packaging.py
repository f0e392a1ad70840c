"""A built package carries the page and the migrations (no checkout beside it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_build_ships_the_page_and_the_migrations_and_uses_its_own_copies(
        tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    built = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    package = lib / "ait42_session"
    assert (package / "frontend" / "index.html").is_file()
    assert sorted(p.name for p in (package / "migrations").glob("*.sql")) == sorted(
        p.name for p in (ROOT / "migrations").glob("*.sql"))
    probe = ("from ait42_session import app, migrations;"
             "print(migrations.default_dir()); print(app.frontend_dir());"
             "print(len(migrations.load()))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(lib), "PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    mig_dir, page_dir, count = out.stdout.split()
    assert Path(mig_dir) == package / "migrations"
    assert Path(page_dir) == package / "frontend"
    assert int(count) == len(list((ROOT / "migrations").glob("*.sql")))
