"""Benchmarks (not tests): scripts that print figures side by side with peer gateways."""
