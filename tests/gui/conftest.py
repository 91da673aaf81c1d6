from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.context import AppContext, open_context


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = open_context(f"sqlite:///{tmp_path / 'gui.db'}")
    yield context
    context.close()


@pytest.fixture(autouse=True)
def _mark_gui(request: pytest.FixtureRequest) -> None:
    request.node.add_marker(pytest.mark.gui)
