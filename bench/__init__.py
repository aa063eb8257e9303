"""Benchmarks: quality, latency, throughput and memory, with results committed under results/."""
