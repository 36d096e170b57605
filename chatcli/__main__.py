"""`python -m chatcli`."""

from chatcli.cli import entry

entry()
