"""`python -m ssoctl`."""

from ssoctl.cli.main import run

if __name__ == "__main__":
    run()
