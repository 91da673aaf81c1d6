# The two Quick-start commands (README): `make demo` and `make test`.
# Both create .venv on first use, and again when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean package-linux installer-check screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/passerelle demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) build dist packaging/build packaging/dist .mypy_cache .pytest_cache .ruff_cache

# --------------------------------------------------------------- packaging
# packaging/README.md. The same PyInstaller spec as the Windows build, built and
# smoke-tested on Linux; then the NSIS installer script compiled against it.
PKG_DIST := packaging/dist/Passerelle
PKG_STAMP := $(VENV)/.installed-package
# zlib: proving the .nsi compiles takes ~40 s instead of ~4 min with release lzma.
NSIS_COMPRESSOR ?= zlib

$(PKG_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,package]'
	@touch $(PKG_STAMP)

package-linux: $(PKG_STAMP)
	rm -rf $(PKG_DIST)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath packaging/dist \
		--workpath packaging/build packaging/passerelle.spec
	$(BIN)/python packaging/smoke_test.py $(PKG_DIST)
	$(BIN)/python packaging/measure.py $(PKG_DIST) --runs 3 --json packaging/dist/mesures.json

installer-check: $(STAMP)
	@test -x $(PKG_DIST)/passerelle-cli || $(MAKE) package-linux
	@command -v makensis >/dev/null || { echo "makensis absent : apt-get install nsis"; exit 1; }
	VERSION=$$($(BIN)/python packaging/version.py) && \
	VERSION_WIN=$$($(BIN)/python packaging/version.py --windows) && \
	OUT=packaging/dist/Passerelle-$$VERSION-verification-linux.exe && \
	rm -f $$OUT && \
	cd packaging/windows && makensis -V2 -DVERSION=$$VERSION -DVERSION_WIN=$$VERSION_WIN \
		-DPAYLOAD_DIR=../dist/Passerelle -DGUI_EXE=Passerelle -DCLI_EXE=passerelle-cli \
		-DCOMPRESSOR=$(NSIS_COMPRESSOR) -DOUTFILE=../../$$OUT passerelle.nsi && \
	cd ../.. && file $$OUT && file $$OUT | grep -q 'PE32 executable.*Nullsoft Installer' && \
	ls -l $$OUT && \
	$(BIN)/python packaging/sign_check.py $$OUT

# The user guide's images (docs/images/), regenerated from the real windows.
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py
