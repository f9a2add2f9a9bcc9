"""``python -m nmaps ARGS``: the nmaps command line, exit status included."""

import sys

from ._nmaps import run_cli


def main():
    return run_cli(["nmaps"] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
