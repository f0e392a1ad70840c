"""A built package carries the page and the migrations, and nothing but what users run.

The build is ``setup.py build_py``: what it writes is what a wheel holds (the
package has no compiled parts), and it needs no network or ``wheel`` package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "ait42_session"
#: Where a user enters the package: the ``ait42-session`` script and ``python -m``,
#: and the contract's import paths for the bridge and the errors.
ENTRY_POINTS = (f"{PACKAGE}.faces.cli", f"{PACKAGE}.__main__", PACKAGE, f"{PACKAGE}.bridge",
                f"{PACKAGE}.errors")
#: Developer tooling that once lived in the package; now in tools/ and tests/window/.
TOOLING = ("benchmark", "window_bench", "screenshots", "bench", "driver", "host")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder a build writes the package into (its ``build_lib``)."""
    lib = tmp_path_factory.mktemp("build") / "lib"
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return lib


def test_a_build_ships_the_page_and_the_migrations_and_uses_its_own_copies(
        built: Path, tmp_path: Path) -> None:
    package = built / PACKAGE
    assert (package / "frontend" / "index.html").is_file()
    assert sorted(p.name for p in (package / "migrations").glob("*.sql")) == sorted(
        p.name for p in (ROOT / "migrations").glob("*.sql"))
    probe = ("from ait42_session.faces import app; from ait42_session.store import migrations;"
             "print(migrations.default_dir()); print(app.frontend_dir());"
             "print(len(migrations.load()))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(built), "PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    mig_dir, page_dir, count = out.stdout.split()
    assert Path(mig_dir) == package / "migrations"
    assert Path(page_dir) == package / "frontend"
    assert int(count) == len(list((ROOT / "migrations").glob("*.sql")))


def module_name(path: Path, lib: Path) -> str:
    """``ait42_session/x/y.py`` -> ``ait42_session.x.y``; a package's ``__init__``: its name."""
    parts = list(path.relative_to(lib).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's own modules that the module at ``path`` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            # importing a.b.c imports a, a.b and a.b.c
            found.update(m for m in (".".join(parts[:k]) for k in range(1, len(parts) + 1))
                         if m in modules)
    return found


def test_a_build_holds_only_what_users_run(built: Path) -> None:
    """Every module in the build is reached from the command line's entry points.

    A benchmark, a screenshot renderer or a test driver put back into the
    package would be reached from nowhere a user starts, and fail this.
    """
    assert sorted(p.name for p in built.iterdir()) == [PACKAGE]
    files = {module_name(p, built): p for p in (built / PACKAGE).rglob("*.py")}
    modules = set(files)
    assert not {m.rpartition(".")[2] for m in modules} & set(TOOLING), sorted(modules)
    reached: set[str] = set()
    todo = [m for m in ENTRY_POINTS if m in modules]
    assert len(todo) == len(ENTRY_POINTS), sorted(modules)
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(imported(files[name], name, modules) - reached)
    assert modules - reached == set(), "modules no user entry point imports"


def test_the_contracts_import_paths_still_hold(built: Path, tmp_path: Path) -> None:
    """CONTRACT.md: ``from ait42_session.bridge import Bridge`` and
    ``ait42_session.errors.SessionError`` (with a class per code), from a build."""
    probe = ("import sys; from ait42_session.bridge import Bridge;"
             "from ait42_session import errors;"
             "from ait42_session.faces import bridge; from ait42_session.shape import errors as e;"
             "assert Bridge is bridge.Bridge and errors.SessionError is e.SessionError;"
             "codes = {c.code for c in vars(errors).values()"
             " if isinstance(c, type) and issubclass(c, errors.SessionError)};"
             "b = Bridge.open(sys.argv[1]); print(sorted(codes), b.get_database_stats()"
             "['sessionCount']); b.close()")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "c.db")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(built), "PATH": "/usr/bin",
                              "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["['CONFLICT',", "'DATABASE',", "'INTERNAL',", "'IO',",
                                  "'JSON',", "'MIGRATION',", "'NOT_FOUND',", "'VALIDATION']",
                                  "0"]


def test_the_window_module_holds_only_the_window(built: Path, tmp_path: Path) -> None:
    """The driver that acts on the page from a thread lives in tests/window/driver.py."""
    probe = ("from ait42_session.faces import app;"
             "print(sorted(n for n in ('drive', 'Page', 'JsError') if hasattr(app, n)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(built), "PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
