"""The `scorebridge` subcommands, one module per task; `connector/cli.py` mounts them and picks adapters."""
