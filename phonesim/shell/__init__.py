"""The simulated phone's shell. Importing the command modules fills the command table."""

from phonesim.shell import android, content, coreutils, runtime  # noqa: F401  (registers commands)
from phonesim.shell.interp import Result, Session

__all__ = ["Result", "Session"]
