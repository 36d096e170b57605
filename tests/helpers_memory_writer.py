"""`python -m tests.helpers_memory_writer NAME COUNT`: a user-memory writer in its own process.

It opens user memory as `chatcli` does (chatcli's wiring, from the environment:
CHATCLI_DATA_DIR, CHATCLI_STORE, config.toml), prints `ready`, waits for a line
on stdin, then keeps `COUNT` facts `NAME-<i>` = `<i>` and prints `done COUNT`.
"""

from __future__ import annotations

import sys

from chatcli.cli.wiring import context, open_store, open_user_memory


def main() -> None:
    name, count = sys.argv[1], int(sys.argv[2])
    settings, paths = context()
    memory = open_user_memory(open_store(None, settings, paths), paths)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        memory.set(f"{name}-{i}", str(i), by="cli")
    print(f"done {count}", flush=True)


if __name__ == "__main__":
    main()
