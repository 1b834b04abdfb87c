"""The smallest real agent: two tools and one question, for any OpenAI-compatible model.

    OPENAI_MODEL=gpt-4o-mini OPENAI_API_KEY=sk-... python -m looplet_core.examples.hello
    OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.2 \\
        python -m looplet_core.examples.hello
    python -m looplet_core.examples.hello --scripted     # no model, no network

It prints one line per step, then why the run stopped, the answer and the tokens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from looplet_core import (
    LLMResponse,
    LoopConfig,
    ScriptedBackend,
    ToolCall,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.examples.console import print_run

TASK = "What is 17 + 25, and how many words are in 'the quick brown fox'?"
ENV_HELP = (
    "set OPENAI_MODEL and OPENAI_API_KEY (plus OPENAI_BASE_URL for a server other than "
    "OpenAI, e.g. http://localhost:11434/v1 for Ollama), or run with --scripted"
)


@tool
def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def word_count(text: str) -> int:
    """Count the words in a text (runs of characters between spaces).

    Args:
        text: The text whose words to count.
    """
    return len(text.split())


def scripted_backend() -> ScriptedBackend:
    """What a good model answers, so the example runs with no model at all."""
    return ScriptedBackend(
        [
            LLMResponse(
                text="I'll do both at once.",
                tool_calls=(
                    ToolCall("add", {"a": 17, "b": 25}),
                    ToolCall("word_count", {"text": "the quick brown fox"}),
                ),
                usage=Usage(input_tokens=310, output_tokens=52),
                model="scripted",
            ),
            LLMResponse(
                tool_calls=(
                    ToolCall(
                        "done", {"answer": "17 + 25 = 42, and 'the quick brown fox' has 4 words."}
                    ),
                ),
                usage=Usage(input_tokens=402, output_tokens=31),
                model="scripted",
            ),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m looplet_core.examples.hello",
        description="Ask a model a two-tool question and print one line per step.",
        epilog=f"Without --scripted: {ENV_HELP}.",
    )
    parser.add_argument(
        "--scripted", action="store_true", help="use a scripted model: no network, no key"
    )
    parser.add_argument("--model", help="model name (default: $OPENAI_MODEL)")
    parser.add_argument("--max-steps", type=int, default=10, help="stop after this many calls")
    args = parser.parse_args(argv)

    if args.scripted:
        llm = scripted_backend()
        where = "a scripted model (no network)"
    else:
        from looplet_core.backends.openai import OpenAIBackend

        model = args.model or os.environ.get("OPENAI_MODEL")
        if not model:
            print(f"hello: no model configured: {ENV_HELP}", file=sys.stderr)
            return 2
        try:
            llm = OpenAIBackend.from_env(model=model)
        except (ValueError, ImportError) as exc:
            print(f"hello: {exc}; or run with --scripted", file=sys.stderr)
            return 2
        where = f"{llm.model} at {llm.endpoint}"

    print(f"task: {TASK}\nmodel: {where}\n")
    run = composable_loop(
        llm, tools_from([add, word_count]), TASK, config=LoopConfig(args.max_steps)
    )
    return print_run(run)


if __name__ == "__main__":
    raise SystemExit(main())
