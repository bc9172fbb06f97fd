"""Lantern's Dagster assets, one module per layer step."""
