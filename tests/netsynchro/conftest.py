"""A real sandbox (HTTPS, client certificates, loopback) shared by the module's tests."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.demo.pki import Issued
from app.netsynchro.client import NetSynchroClient, RetryPolicy
from app.netsynchro.sandbox import Sandbox
from app.security.tls import client_ssl_context

YEAR = 2025
UAI = "0750654D"
OTHER_UAI = "0920131T"
# Short delays: the tests exercise the retry logic, not the waiting.
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, jitter=0.1)

ClientFactory = Callable[..., NetSynchroClient]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(
        tmp_path_factory.mktemp("bac-a-sable"),
        year=YEAR,
        establishments=[(UAI, "Collège de test"), (OTHER_UAI, "Lycée de test")],
        seed=7,
        students=300,
        task_delay=0.2,
    )
    box.start()
    yield box
    box.stop()


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    # Faults and the request log must never leak from one test into the next.
    if "sandbox" not in request.fixturenames:
        yield
        return
    box: Sandbox = request.getfixturevalue("sandbox")
    box.faults.clear()
    box.clear_requests()
    yield
    box.faults.clear()


def context_for(
    issued: Issued | None, cafile: Path | str | None, *, max_tls: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    """The client context as the certificate service builds it (app.security.tls)."""
    if issued is None:
        ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    else:
        ctx = client_ssl_context(issued.key, issued.cert, issued.chain,
                                 str(cafile) if cafile else None)  # fmt: skip
    if max_tls is not None:
        ctx.maximum_version = max_tls
    return ctx


@pytest.fixture
def make_client(sandbox: Sandbox) -> Iterator[ClientFactory]:
    made: list[NetSynchroClient] = []

    def factory(
        uai: str = UAI,
        *,
        issued: Issued | str | None = "default",
        cafile: Path | str | None = None,
        max_tls: ssl.TLSVersion | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy = FAST_RETRY,
        url: str | None = None,
    ) -> NetSynchroClient:
        cert = sandbox.client_certificates[uai] if issued == "default" else issued
        assert not isinstance(cert, str)
        ctx = context_for(cert, cafile or sandbox.ca_file, max_tls=max_tls)
        client = NetSynchroClient(url or sandbox.url, ctx, timeout=timeout, retry=retry,
                                  trust_env=False)  # fmt: skip
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> NetSynchroClient:
    return make_client()


def leftovers(directory: Path) -> list[str]:
    """Files a failed or cancelled transfer must not leave behind."""
    if not directory.exists():
        return []
    return sorted(p.name for p in directory.iterdir())
