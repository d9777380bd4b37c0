"""The pieces of the synthetic GCP export generator; its entry points are in :mod:`finops.demo.generate_gcp`."""
