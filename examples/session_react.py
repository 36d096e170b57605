"""Aixgo's session-react on chatcli's library: a ReAct agent whose tools read and write
the session's state, one `call_with_session` per turn, resumable after a restart.

    python examples/session_react.py -m openai/gpt-4o-mini \\
        "Plan a weekend in Porto: 2 nights at 85 euros" "The hotel is booked"
    python examples/session_react.py -m openai/gpt-4o-mini "What is left to do?"   # later

The agent reasons, acts (a tool call), observes the result and repeats until it
answers. Its plan (goal, steps, budget) lives in the session's typed state, a
`state` line per change, so a second run with the same -s picks up the plan
and the conversation where the first stopped, even after a kill -9: every
message is in the log before the model is asked for the next one.
"""

from __future__ import annotations

import argparse
import ast
import operator
import os
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from chatcli.chat import (
    Agent,
    Toolset,
    call_with_session,
    current_session,
    current_state,
    model_client,
    tool,
)
from chatcli.chat.events import ToolCalled, ToolFinished, TurnEvent
from chatcli.paths import resolve_paths
from chatcli.session import Session
from chatcli.store import JsonlStore


class Step(BaseModel):
    """One thing to do."""

    text: str
    done: bool = False


class Plan(BaseModel):
    """The agent's working memory: what it is after and how far it got."""

    goal: str = ""
    steps: list[Step] = Field(default_factory=list)
    budget: float | None = None


def change(update: Callable[[Plan], Plan], by: str) -> Plan:
    """Apply `update` to the current session's plan (one durable `state` line)."""
    session: Session[Plan] = current_session()
    session.update_state(update, by=f"tool:{by}")
    return session.state


@tool(name="set_goal")
def set_goal(goal: str) -> str:
    """Set what the plan is for (replaces the goal, keeps the steps)."""
    change(lambda p: p.model_copy(update={"goal": goal}), "set_goal")
    return f"Goal set: {goal}"


@tool(name="add_step")
def add_step(text: str) -> str:
    """Add a step to the plan; returns its number."""
    plan = change(lambda p: p.model_copy(update={"steps": [*p.steps, Step(text=text)]}), "add_step")
    return f"Step {len(plan.steps)} added: {text}"


@tool(name="complete_step")
def complete_step(number: int) -> str:
    """Mark step `number` (1 is the first) as done."""
    steps = current_session().state.steps
    if not 1 <= number <= len(steps):
        return f"error: there is no step {number}; the plan has {len(steps)} steps"

    def mark(plan: Plan) -> Plan:
        done = [
            s.model_copy(update={"done": s.done or i == number})
            for i, s in enumerate(plan.steps, 1)
        ]
        return plan.model_copy(update={"steps": done})

    change(mark, "complete_step")
    return f"Step {number} done: {steps[number - 1].text}"


@tool(name="set_budget")
def set_budget(amount: float) -> str:
    """Record the plan's total budget."""
    change(lambda p: p.model_copy(update={"budget": amount}), "set_budget")
    return f"Budget set to {amount:g}"


@tool(name="get_plan")
def get_plan() -> dict[str, Any]:
    """The whole plan as it stands (goal, steps with done marks, budget)."""
    return current_state()  # plain data: this tool need not know the Plan type


@tool(name="calculate")
def calculate(expression: str) -> str:
    """Work out an arithmetic expression such as 2 * 85 + 40."""
    try:
        return f"{_arithmetic(ast.parse(expression, mode='eval').body):g}"
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        return f"error: cannot work out {expression!r} ({exc})"


_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _arithmetic(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_arithmetic(node.left), _arithmetic(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arithmetic(node.operand)
    raise ValueError("only numbers and + - * / are allowed")


TOOLS = Toolset([set_goal, add_step, complete_step, set_budget, get_plan, calculate])

PLANNER = Agent.parse(
    "planner",
    """---
description: A ReAct planner that keeps its plan in the session state.
---
You are a planning assistant. Work in steps: think about what is needed, call one
tool, read its result, and repeat until you can answer. Keep the plan in the tools
(set_goal, add_step, complete_step, set_budget); use calculate for arithmetic and
get_plan to read the plan back. Answer briefly.

Goal: {{#if @state.goal}}{{@state.goal}}{{else}}(none yet){{/if}}
Steps:
{{#each @state.steps}}
- [{{#if this.done}}x{{else}} {{/if}}] {{this.text}}
{{else}}
(none yet)
{{/each}}
""",
    origin="examples/session_react.py",
)


def show(event: TurnEvent) -> None:
    """Print the agent's actions and observations as they happen."""
    if isinstance(event, ToolCalled):
        print(f"  action: {event.name}({_args(event.arguments)})")
    elif isinstance(event, ToolFinished):
        print(f"  observation: {event.result}")


def _args(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompts", nargs="+", metavar="PROMPT", help="one turn each, in order")
    parser.add_argument("-m", "--model", default=os.environ.get("CHATCLI_MODEL"))
    parser.add_argument("--api-base", default=os.environ.get("CHATCLI_API_BASE"))
    parser.add_argument("-s", "--session", default="react", help="session id (default: react)")
    args = parser.parse_args(argv)
    if not args.model:
        parser.error("name a model with -m (or set CHATCLI_MODEL)")

    store = JsonlStore(resolve_paths().sessions_dir)
    if store.exists(args.session):
        resumed = Session.load(store, args.session, Plan)
        print(
            f"resuming {args.session}: {len(resumed.messages)} messages, {_summary(resumed.state)}"
        )
    model = model_client(api_base=args.api_base)
    for number, prompt in enumerate(args.prompts, 1):
        print(f"turn {number}: {prompt}")
        reply = call_with_session(
            store,
            PLANNER,
            prompt,
            args.session,
            model=model,
            model_name=args.model,
            tools=TOOLS,
            state=Plan(),
            title="ReAct planner",
            on_event=show,
        )
        if not reply.ok:
            print(
                f"error: {reply.error.sentence() if reply.error else reply.status}", file=sys.stderr
            )
            return 1
        print(f"  answer: {reply.text.strip()}")
    final: Plan = Session.load(store, args.session, Plan).state
    print(f"plan: {_summary(final)}")
    for n, step in enumerate(final.steps, 1):
        print(f"  {n}. [{'x' if step.done else ' '}] {step.text}")
    return 0


def _summary(plan: Plan) -> str:
    done = sum(step.done for step in plan.steps)
    budget = "no budget" if plan.budget is None else f"budget {plan.budget:g}"
    return f"goal {plan.goal or '(none)'!r}, {done}/{len(plan.steps)} steps done, {budget}"


if __name__ == "__main__":
    sys.exit(main())
