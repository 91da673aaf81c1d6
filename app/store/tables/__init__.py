"""Table definitions, one module per feature; importing this package registers them all."""

from app.store.tables import foundation as foundation

__all__ = ["foundation"]
