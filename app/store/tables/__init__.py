"""Table definitions, one module per feature; importing this package registers them all."""

from app.store.tables import foundation as foundation
from app.store.tables import siecle as siecle
from app.store.tables import sts as sts

__all__ = ["foundation", "sts"]
