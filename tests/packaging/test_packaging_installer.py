"""Consistency of the packaging files: spec, NSIS script, build scripts, lock.

The builds themselves run in ``make package-linux`` / ``make installer-check``
(and build.ps1 on Windows); these tests catch the drift between the files
that no build would notice until a release.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
WINDOWS = PACKAGING / "windows"
NSI = WINDOWS / "passerelle.nsi"
sys.path.insert(0, str(PACKAGING))

import version as packaging_version  # noqa: E402
from windows import version_info  # noqa: E402

# Defines the script expects from the command line, documented in its header.
COMMAND_LINE_DEFINES = {"VERSION", "VERSION_WIN", "PAYLOAD_DIR", "GUI_EXE", "CLI_EXE",
                        "OUTFILE", "COMPRESSOR", "SIGN_COMMAND"}
# Defines NSIS or its headers provide.
NSIS_DEFINES = {"LANG_FRENCH", "UnSecData", "SecApp", "SecDesktop", "UnSecApp", "Cmd",
                "If", "IfNot", "Else", "EndIf", "AndIf", "OrIf", "Do", "Loop", "Break",
                "Errors", "FileExists", "RunningX64", "GetParameters", "GetOptions",
                "GetSize", "VersionCompare", "SF_SELECTED"}
# Parameters of the script's own macros.
MACRO_PARAMETERS = {"UN", "EXE"}


def _nsi() -> str:
    return NSI.read_text(encoding="utf-8")


def test_every_nsis_define_is_defined_or_documented() -> None:
    text = _nsi()
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    defined = set(re.findall(r"^\s*!define\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.MULTILINE))
    assert used - defined - COMMAND_LINE_DEFINES - NSIS_DEFINES - MACRO_PARAMETERS == set()
    header = text.split("Unicode true")[0]
    for name in COMMAND_LINE_DEFINES:
        assert re.search(rf"^;\s+{name}\s", header, re.MULTILINE), f"{name} non documenté"
    optional = set(re.findall(r"^!ifndef\s+(\w+)", text, re.MULTILINE))
    assert optional == COMMAND_LINE_DEFINES - {"SIGN_COMMAND"}


def test_makefile_and_build_script_pass_the_defines_the_script_knows() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    build = (WINDOWS / "build.ps1").read_text(encoding="utf-8")
    passed = set(re.findall(r"-D([A-Z_]+)=", makefile)) | set(re.findall(r"/D([A-Z_]+)=", build))
    assert passed, "aucun define transmis à makensis"
    assert passed <= COMMAND_LINE_DEFINES
    assert {"VERSION", "VERSION_WIN", "PAYLOAD_DIR", "GUI_EXE", "CLI_EXE"} <= set(
        re.findall(r"-D([A-Z_]+)=", makefile)
    )


def test_one_fixed_identity_everywhere() -> None:
    (app_id,) = re.findall(r'!define APP_ID "(\{[0-9A-F-]{36}\})"', _nsi())
    build = (WINDOWS / "build.ps1").read_text(encoding="utf-8")
    assert app_id in build, "build.ps1 doit vérifier la clé de désinstallation de l'installateur"


def test_uninstaller_keeps_data_unless_asked() -> None:
    text = _nsi()
    # The data section is unselected ("/o") and the only place the data dir is removed.
    assert re.search(r'^Section /o "un\.Supprimer aussi mes données', text, re.MULTILINE)
    removals = re.findall(r"RMDir /r \"([^\"]+)\"", text)
    assert set(removals) == {"$INSTDIR\\_internal", "$DataDir"}
    assert '"/SUPPRIMER_DONNEES"' in text
    assert 'RequestExecutionLevel user' in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in text
    assert '!insertmacro MUI_LANGUAGE "French"' in text


def test_data_dir_in_installer_is_the_app_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs.windows import Windows

    # app.paths.data_dir() on Windows: platformdirs with these arguments.
    monkeypatch.setattr("platformdirs.windows.get_win_folder",
                        lambda csidl: r"C:\Users\secr\AppData\Local")
    windows = Windows("Passerelle", appauthor=False, roaming=False)
    # (os.path.join runs on this host: compare without caring for the separator)
    assert windows.user_data_dir.replace("/", "\\") == r"C:\Users\secr\AppData\Local\Passerelle"
    assert '!define DATA_SUBDIR "Passerelle"' in _nsi()
    assert 'StrCpy $DataDir "$LOCALAPPDATA\\${DATA_SUBDIR}"' in _nsi()


def test_version_helpers() -> None:
    assert packaging_version.app_version() == __version__
    assert packaging_version.windows_version("0.1.0") == (0, 1, 0, 0)
    assert packaging_version.windows_version("1.2") == (1, 2, 0, 0)
    assert packaging_version.windows_version("2.3.4rc1") == (2, 3, 4, 0)
    assert packaging_version.windows_version("2026.9.1.7") == (2026, 9, 1, 7)
    with pytest.raises(ValueError):
        packaging_version.windows_version("v1")
    with pytest.raises(ValueError):
        packaging_version.windows_version("70000.0")


def test_version_resource_renders_as_pyinstaller_expects() -> None:
    text = version_info.render("1.2.3", (1, 2, 3, 0), original_filename="Passerelle.exe",
                               description="Passerelle")
    call = ast.parse(text, mode="eval").body
    assert isinstance(call, ast.Call) and ast.unparse(call.func) == "VSVersionInfo"
    assert "filevers=(1, 2, 3, 0)" in text and "prodvers=(1, 2, 3, 0)" in text
    strings = dict(re.findall(r"StringStruct\('(\w+)', '([^']*)'\)", text))
    assert strings["ProductVersion"] == strings["FileVersion"] == "1.2.3"
    assert strings["OriginalFilename"] == "Passerelle.exe"
    assert strings["InternalName"] == "Passerelle"
    assert "StringTable('040C04B0'" in text  # French, Unicode


def test_windows_lock_covers_the_dependencies_for_windows() -> None:
    lock = (WINDOWS / "requirements-win.txt").read_text(encoding="utf-8")
    pinned = {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==", lock,
                                                           re.MULTILINE)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["package"]
    for requirement in wanted:
        name = re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} absent de requirements-win.txt"
    assert "pywin32-ctypes" in pinned  # keyring's Windows backend (engineering-notes §6)
    assert not {"secretstorage", "jeepney"} & pinned  # Linux-only
    assert "--hash=sha256:" in lock


NEEDS_MAKENSIS = pytest.mark.skipif(
    shutil.which("makensis") is None, reason="makensis absent (apt-get install nsis)"
)


def _spec_qt_excludes() -> set[str]:
    spec = (PACKAGING / "passerelle.spec").read_text(encoding="utf-8")
    block = spec.split("QT_EXCLUDES = [", 1)[1].split("]\n", 1)[0]
    return set(re.findall(r'"(Qt\w+)"', block))


def test_app_imports_no_qt_module_the_build_leaves_out() -> None:
    excluded = _spec_qt_excludes()
    assert {"QtNetwork", "QtWebEngineCore", "QtQml", "QtSvg"} <= excluded
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        for module in re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")):
            if module in excluded:
                offenders.append(f"{path.relative_to(ROOT)}: PySide6.{module}")
    assert offenders == [], "module Qt exclu du programme installé (packaging/passerelle.spec)"


def test_committed_icons_exist() -> None:
    icons = ROOT / "resources" / "icons"
    ico = (icons / "passerelle.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and int.from_bytes(ico[4:6], "little") >= 5
    assert (icons / "passerelle.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (icons / "passerelle.svg").read_bytes()


@NEEDS_MAKENSIS
def test_nsis_script_compiles(tmp_path: Path) -> None:
    payload = tmp_path / "charge"
    (payload / "_internal").mkdir(parents=True)
    (payload / "Passerelle.exe").write_bytes(b"MZ fenetre")
    (payload / "passerelle-cli.exe").write_bytes(b"MZ console")
    (payload / "_internal" / "base_library.zip").write_bytes(b"PK")
    out = tmp_path / "installation.exe"
    proc = subprocess.run(
        ["makensis", "-V2", "-DVERSION=9.8.7", "-DVERSION_WIN=9.8.7.0", "-DCOMPRESSOR=zlib",
         f"-DPAYLOAD_DIR={payload}", f"-DOUTFILE={out}", NSI.name],
        cwd=WINDOWS, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in (proc.stdout + proc.stderr).lower()
    data = out.read_bytes()
    assert data[:2] == b"MZ"
    assert b"NullsoftInst" in data
    assert "9.8.7".encode("utf-16-le") in data  # version resource (VIAddVersionKey)


@NEEDS_MAKENSIS
def test_nsis_script_refuses_a_missing_version() -> None:
    proc = subprocess.run(["makensis", "-V1", NSI.name], cwd=WINDOWS, capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert "VERSION manquant" in proc.stdout + proc.stderr
