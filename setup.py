"""Builds ship the page (``frontend/``) and ``migrations/`` inside the package.

Both live at the top of the checkout, where the README's layout puts them, and
an editable install (``./dev``) finds them there. A built wheel has no
checkout, so it carries its own copy under ``ait42_session/``, which
``app.frontend_dir`` and ``migrations.default_dir`` look at first.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithAssets(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's own folders are used
        package = Path(self.build_lib) / "ait42_session"
        for name in ("frontend", "migrations"):
            shutil.copytree(ROOT / name, package / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithAssets})
