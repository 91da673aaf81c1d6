#!/bin/sh
# Regenerate packaging/windows/requirements-win.txt: the pinned, hashed Windows
# dependency set (runtime + dev for the tests + PyInstaller), resolved for
# Windows from any OS. `pip download --platform win_amd64` evaluates markers for
# the host and would miss pywin32-ctypes; uv resolves for the target
# (engineering-notes §6).
#
#   packaging/windows/lock.sh            (after changing pyproject.toml)
set -eu
cd "$(dirname "$0")"
UV="${UV:-../../.venv/bin/uv}"
if [ ! -x "$UV" ]; then
  ../../.venv/bin/python -m pip install --quiet uv
fi
"$UV" pip compile ../../pyproject.toml --extra dev --extra package \
  --python-platform x86_64-pc-windows-msvc --python-version 3.11 \
  --generate-hashes --no-emit-index-url \
  --custom-compile-command "packaging/windows/lock.sh" \
  -o requirements-win.txt
