"""The pieces of the synthetic AWS bill generator; its entry points are in :mod:`finops.demo.generate`."""
