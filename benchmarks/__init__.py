"""Benchmark harness: pvmkit's PVM interpreter next to peer VMs (`python -m benchmarks`)."""
