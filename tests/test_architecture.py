"""Structure rules that keep the code clean: the core never imports Qt."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_import_linter_contract_holds() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed in this environment"
    result = subprocess.run([lint_imports], check=False, cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The core never imports Qt KEPT" in result.stdout


def test_core_imports_without_qt_loaded() -> None:
    code = ("import sys, squeezeapp.core.inference.classifier, squeezeapp.core.batch.pipeline, "
            "squeezeapp.core.models.download, squeezeapp.core.modeltools.summary; "
            "assert not [m for m in sys.modules if m.startswith('PySide6')]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_threads_start_in_one_place_per_side() -> None:
    """The core and the command line start threads only through core/common/threads.py; the
    window's one-shot and progress jobs only through ui/common/jobs.py (live work: LoopWorker
    QThreads)."""
    rules = {"squeezeapp/core/common/threads.py": ("threading.Thread",),
             "squeezeapp/ui/common/jobs.py": ("QThreadPool", "QRunnable", "create_worker",
                                              "thread_worker", "superqt.utils")}
    for path in sorted((REPO / "squeezeapp").rglob("*.py")):
        where = path.relative_to(REPO).as_posix()
        text = path.read_text(encoding="utf-8")
        for home, names in rules.items():
            if where != home:
                found = [name for name in names if name in text]
                assert not found, f"{where} uses {found}: start it through {home}"
