"""``python -m phonesim --count 3 --base-port 47101``: see phonesim/cli.py and README.md."""

from phonesim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
