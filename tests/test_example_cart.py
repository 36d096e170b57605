"""examples/shopping_cart.py: a custom typed state and tools, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.model_server import ModelServer

ROOT = Path(__file__).resolve().parents[1]


def test_cart_example_adds_items_and_the_cart_persists(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.reply_tool_calls(
        [("addToCart", {"item": "milk"}), ("addToCart", {"item": "eggs"})]
    )
    model_server.reply_text("I added milk and eggs.")
    model_server.reply_tool_calls([("getCart", {})])
    model_server.reply_text("You have milk and eggs.")
    env = {**os.environ, "CHATCLI_DATA_DIR": str(tmp_path), "CHATCLI_API_KEY": "sk-test"}
    argv = [sys.executable, str(ROOT / "examples" / "shopping_cart.py")]
    argv += ["-m", "openai/test-model", "--api-base", model_server.url]

    first = subprocess.run(
        [*argv, "Add milk and eggs"], env=env, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    assert "Cart: milk, eggs" in first.stdout

    second = subprocess.run(
        [*argv, "What is in my cart?"], env=env, capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 0, second.stderr
    tool_result = model_server.requests[-1].body["messages"][-1]
    assert tool_result["role"] == "tool" and json.loads(tool_result["content"]) == ["milk", "eggs"]
    assert "- milk" in model_server.requests[-1].body["messages"][0]["content"]
    names = [t["function"]["name"] for t in model_server.requests[0].body["tools"]]
    assert names == ["addToCart", "getCart"]

    lines = (tmp_path / "sessions" / "cart.jsonl").read_text().splitlines()
    states = [json.loads(x) for x in lines if '"type":"state"' in x]
    assert [s["state"]["items"] for s in states] == [["milk"], ["milk", "eggs"]]
    assert {s["by"] for s in states} == {"tool:addToCart"}
