"""support-bot benchmarks: `python -m bench [--quick] [--json PATH]` (see bench/README.md)."""
