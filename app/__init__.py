"""Passerelle: NetSynchro exchanges (SIECLE, STSWEB) for school secretariats."""

__version__ = "0.1.0"
APP_NAME = "Passerelle"
