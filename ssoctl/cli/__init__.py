"""The command line: Typer only here, thin wrappers over the core. Imports stay lazy."""
