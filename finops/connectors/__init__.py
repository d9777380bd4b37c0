"""Connectors: each source kind in its own module, registered in ``registry.SOURCE_KINDS`` on import.

Importing them all here means the registry is complete whichever connector module is used first.
"""

from finops.connectors import aws, focus, gcp, metrics  # noqa: F401  (each registers its kind)
