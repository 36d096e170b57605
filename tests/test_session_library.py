"""The library API (issue 15), part of the store contract: each call on every store in
tests/stores.py (memory, JSONL, a real redis-server).

Initial state at creation, typed entries and `append_entry`, the untyped
`current_state()`, and one call per turn (`call_with_session`) through litellm's
real client against the loopback model server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel, Field

from chatcli.chat import (
    Agent,
    Toolset,
    TurnReply,
    acall_with_session,
    call_with_session,
    current_session,
    current_state,
    tool,
)
from chatcli.chat.events import ReplyDelta, StateChanged
from chatcli.errors import ChatcliError
from chatcli.llm import LiteLLMModel
from chatcli.session import (
    ChatMessage,
    CheckpointRecord,
    Memory,
    MetaRecord,
    Session,
    StateRecord,
    Store,
    using_session,
)
from tests.model_server import ModelServer


class Cart(BaseModel):
    """A typed state, as Genkit's cart example has."""

    items: list[str] = Field(default_factory=list)


# -- 1. initial state at creation ------------------------------------------------------------


def test_create_with_a_state_records_it_as_the_first_state_line_by_create(store: Store) -> None:
    session = Session.create(store, session_id="c1", state=Cart(items=["bread"]))

    assert session.state_type is Cart and session.state == Cart(items=["bread"])
    (first,) = session.entries(type="state")
    assert first.seq == 2 and first.by == "create" and first.state == {"items": ["bread"]}
    assert [(c.path, c.old, c.new) for c in first.changes] == [("items", None, ["bread"])]
    again = Session.load(store, "c1", Cart)
    assert again.state.items == ["bread"] and again.view.state_record == first


class Strict(BaseModel):
    """A state type no cart is: it requires a field a cart does not have."""

    budget: int


def test_a_state_read_as_the_wrong_type_is_refused_in_one_sentence(store: Store) -> None:
    Session.create(store, session_id="cart", state=Cart(items=["bread"]))
    wrong = Session.load(store, "cart", Strict)

    with pytest.raises(ChatcliError) as caught:
        _ = wrong.state
    assert str(caught.value).startswith("Session 'cart' holds a state that is not a Strict: ")
    assert caught.value.hint == "Open it with the state type it was made with."
    assert Session.load(store, "cart", Cart).state.items == ["bread"], "nothing was changed"


def test_a_typed_state_opened_as_memory_keeps_its_fields_when_a_fact_is_remembered(
    store: Store,
) -> None:
    """`chatcli ask -s` opens any session with the default state: `remember` there must not
    drop what another state type put in it."""
    Session.create(store, session_id="cart-mem", state=Cart(items=["bread"]))
    session = Session.load(store, "cart-mem")  # as Memory
    session.update_state(
        lambda m: m.model_copy(update={"facts": {**m.facts, "name": "Ada"}}), "tool:remember"
    )

    again = Session.load(store, "cart-mem")
    assert again.view.state == {"items": ["bread"], "facts": {"name": "Ada"}}
    assert Session.load(store, "cart-mem", Cart).state.items == ["bread"]
    assert [(c.path, c.new) for c in again.view.state_record.changes] == [("facts.name", "Ada")]


def test_create_without_a_state_writes_only_the_session_line(store: Store) -> None:
    session = Session.create(store, session_id="plain")

    assert [r.type for r in Session.load(store, "plain").entries()] == ["session"]
    assert session.state == Memory()


def test_get_or_create_uses_the_state_only_when_it_creates(store: Store) -> None:
    made = Session.get_or_create(store, "g1", state=Cart(items=["milk"]), title="cart")
    made.update_state(lambda c: Cart(items=[*c.items, "eggs"]), by="tool:add")

    found = Session.get_or_create(store, "g1", state=Cart(items=["other"]))

    assert found.state_type is Cart and found.state.items == ["milk", "eggs"]
    assert [s.by for s in found.entries(type=StateRecord)] == ["create", "tool:add"]
    assert found.title == "cart"


# -- 4. entries and messages ---------------------------------------------------------------


def test_entries_filter_by_name_class_or_several_and_keep_rolled_back_lines(store: Store) -> None:
    session = Session.create(store, session_id="e1", state=Memory(facts={"a": "1"}))
    session.add_message("user", "one")
    mark = session.checkpoint("after one")
    session.add_message("assistant", "two")
    session.restore(mark.id)

    assert [m.content for m in session.entries(type="message")] == ["one", "two"]
    assert [m.content for m in session.messages] == ["one"]  # the active view
    assert [r.type for r in session.entries(type=[ChatMessage, "restore"])] == [
        "message",
        "message",
        "restore",
    ]
    assert [r.seq for r in session.entries()] == list(range(1, session.view.last_seq + 1))
    assert session.entries(type=CheckpointRecord)[0].label == "after one"
    with pytest.raises(ChatcliError, match="no record type 'mesage'"):
        session.entries(type="mesage")


def test_append_entry_writes_messages_state_and_meta_durably(store: Store) -> None:
    session: Session[Cart] = Session.create(store, session_id="a1", state_type=Cart)

    said = session.append_entry(ChatMessage(role="user", content="hello", seq=99))
    state = session.append_entry(StateRecord(state={"items": ["tea"]}, by="import"))
    same = session.append_entry(StateRecord(state={"items": ["tea"]}, by="import"))
    meta = session.append_entry(MetaRecord(title="Tea"))

    assert isinstance(said, ChatMessage) and said.seq == 2 and said.content == "hello"
    assert isinstance(state, StateRecord) and state.seq == 3 and state.by == "import"
    assert [c.path for c in state.changes] == ["items"]
    assert same is None  # nothing changed, nothing written
    assert isinstance(meta, MetaRecord) and meta.seq == 4
    reread = Session.load(store, "a1", Cart)
    assert [m.content for m in reread.messages] == ["hello"]
    assert reread.state.items == ["tea"] and reread.title == "Tea"


def test_append_entry_refuses_what_only_the_session_computes_and_bad_state(store: Store) -> None:
    session: Session[Cart] = Session.create(store, session_id="a2", state_type=Cart)
    mark = session.checkpoint()

    with pytest.raises(ChatcliError, match="not a 'checkpoint' record"):
        session.append_entry(mark)  # type: ignore[arg-type]
    with pytest.raises(ChatcliError, match="not a Cart"):
        session.append_entry(StateRecord(state={"items": "not a list"}))
    assert Session.load(store, "a2").view.last_seq == 2  # nothing more was written


def test_append_entry_sees_what_another_handle_wrote(store: Store) -> None:
    first = Session.create(store, session_id="a3")
    second = Session.load(store, "a3")
    first.append_entry(ChatMessage(role="user", content="from the first"))

    written = second.append_entry(ChatMessage(role="user", content="from the second"))

    assert written is not None and written.seq == 3
    assert [m.content for m in second.messages] == ["from the first", "from the second"]


# -- 3. untyped state ------------------------------------------------------------------------


def test_current_state_is_a_plain_copy_of_the_current_sessions_state(store: Store) -> None:
    session = Session.create(store, session_id="u1", state=Cart(items=["jam"]))

    with using_session(session):
        data = current_state()
        data["items"].append("changed here only")

    assert data == {"items": ["jam", "changed here only"]}
    assert session.state.items == ["jam"]
    with pytest.raises(ChatcliError, match="No session is active here"):
        current_state()


# -- 2. one call per turn --------------------------------------------------------------------


@tool(name="addToCart")
def add_to_cart(item: str) -> str:
    """Add one item to the cart."""
    current_session().update_state(
        lambda cart: cart.model_copy(update={"items": [*cart.items, item]}), by="tool:addToCart"
    )
    return f"Added {item}."


@tool(name="cartSize")
def cart_size() -> int:
    """How many items the cart holds (reads the state untyped)."""
    return len(current_state()["items"])


SHOP = Agent.parse(
    "shop",
    "---\ndescription: a shop\n---\nCart: {{#each @state.items}}{{this}} {{/each}}",
    origin="tests",
)
CART_TOOLS = Toolset([add_to_cart, cart_size])


def test_call_with_session_creates_runs_a_turn_persists_and_resumes(
    store: Store, model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_tool_calls([("addToCart", {"item": "milk"}), ("cartSize", {})])
    model_server.reply_text("Added milk; 2 items.")
    model_server.reply_text("You have bread and milk.")
    seen: list[str] = []
    options = {"model": loopback_model, "model_name": "openai/test-model", "tools": CART_TOOLS}

    first = call_with_session(
        store,
        SHOP,
        "Add milk",
        "shop1",
        state=Cart(items=["bread"]),
        on_event=lambda e: seen.append(type(e).__name__),
        **options,
    )
    second = call_with_session(store, SHOP, "What is in my cart?", "shop1", **options)

    assert isinstance(first, TurnReply) and first.ok and first.status == "complete"
    assert first.text == "Added milk; 2 items." and second.text == "You have bread and milk."
    assert first.state == {"items": ["bread", "milk"]}
    assert "StateChanged" in seen and seen[-1] == "TurnFinished"
    tool_results = [m for m in model_server.requests[1].body["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_results] == ["Added milk.", "2"]
    last = model_server.requests[-1].body["messages"]
    assert last[0] == {"role": "system", "content": "Cart: bread milk"}
    assert [m["content"] for m in last if m["role"] == "user"] == [
        "Add milk",
        "What is in my cart?",
    ]
    stored = Session.load(store, "shop1", Cart)
    assert stored.agent == "shop" and stored.model == "openai/test-model"
    assert [s.by for s in stored.entries(type="state")] == ["create", "tool:addToCart"]
    assert [c.label for c in stored.entries(type="checkpoint")] == [
        "Add milk",
        "What is in my cart?",
    ]
    assert stored.view.checkpointed  # every turn ends on its checkpoint


async def test_acall_with_session_streams_and_a_model_error_is_in_the_reply(
    store: Store, model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_text("Hello there")
    model_server.fail(500)
    deltas: list[str] = []

    def on_event(event: object) -> None:
        if isinstance(event, ReplyDelta):
            deltas.append(event.text)
        assert not isinstance(event, StateChanged)

    ok = await acall_with_session(
        store, SHOP, "hi", model=loopback_model, model_name="openai/m", on_event=on_event
    )
    failed = await acall_with_session(
        store, SHOP, "again", ok.session.id, model=loopback_model, model_name="openai/m"
    )

    assert "".join(deltas) == "Hello there" == ok.text
    assert failed.error is not None and failed.error.kind == "server" and not failed.ok
    assert failed.status == "error" and failed.session.id == ok.session.id
    stored = Session.load(store, ok.session.id)
    assert [m.content for m in stored.messages if m.role == "user"] == ["hi", "again"]
    assert stored.messages[-1].status == "error"  # the failure is in the log, as said


async def test_call_with_session_inside_an_event_loop_says_to_await_the_async_form(
    store: Store,
) -> None:
    with pytest.raises(ChatcliError, match="inside a running event loop") as raised:
        call_with_session(store, SHOP, "hi", "x1", model_name="openai/m")
    assert "await acall_with_session" in raised.value.sentence()
    await asyncio.sleep(0)
    assert not store.exists("x1")  # refused before anything was written


def test_call_with_session_names_an_unknown_agent_and_writes_nothing(
    store: Store, tmp_path: object
) -> None:
    from pathlib import Path

    agents = Path(str(tmp_path)) / "agents"
    with pytest.raises(ChatcliError, match="No agent named 'nope'"):
        call_with_session(store, "nope", "hi", "x2", agents_dir=agents, model_name="openai/m")
    assert not store.exists("x2")


def test_call_with_session_offers_the_memory_tools_only_to_a_memory_state(
    store: Store, model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    model_server.reply_text("one")
    model_server.reply_text("two")
    options = {"model": loopback_model, "model_name": "openai/m"}

    call_with_session(store, SHOP, "hi", "typed", state=Cart(items=["x"]), **options)
    call_with_session(store, SHOP, "hi", "plain", **options)

    typed, plain = (r.body for r in model_server.requests)
    assert "tools" not in typed
    assert [t["function"]["name"] for t in plain["tools"]] == ["remember", "forget"]
    assert Session.load(store, "typed", Cart).state.items == ["x"]


def test_call_with_session_hands_user_memory_to_the_memory_tools(
    store: Store, model_server: ModelServer, loopback_model: LiteLLMModel
) -> None:
    from chatcli.chat.user_scope import UserScope
    from chatcli.session.user_memory import UserMemory
    from chatcli.store import MemoryStore

    memory: UserMemory[Any] = UserMemory(MemoryStore())
    model_server.remember("city", "Lisbon", scope="user")
    model_server.reply_text("Noted for every session.")

    reply = call_with_session(
        store,
        None,
        "I live in Lisbon",
        "u1",
        model=loopback_model,
        model_name="openai/m",
        user=UserScope(memory),
    )

    assert reply.text == "Noted for every session." and reply.state == {}  # not the session's
    again: UserMemory[Any] = UserMemory(memory.store)  # as another process reads it
    again.refresh()
    assert again.state_dict["facts"] == {"city": "Lisbon"}
    assert any(type(e).__name__ == "MemoryChanged" for e in reply.events)
