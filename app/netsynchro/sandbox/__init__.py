"""The local NetSynchro sandbox (real HTTPS with client certificates, on loopback)."""

from app.netsynchro.sandbox.faults import Fault, FaultKind, Faults
from app.netsynchro.sandbox.server import RequestRecord, Sandbox

__all__ = ["Fault", "FaultKind", "Faults", "RequestRecord", "Sandbox"]
