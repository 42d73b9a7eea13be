"""Decode speed of the app's engine beside llama.cpp's own llama-bench, like for like.

Both sides get the same model, threads, depth and attention kernel.

Run: .venv/bin/python -m bench.decode MODEL.gguf [--threads N] [--tokens 128] [--depth 0]
         [--rounds 8] [--flash-attn off|on] [--omp PASSIVE|ACTIVE|unset[,…]]

llama-bench comes from `$LLAMA_BENCH`, or is built once from the llama.cpp sources that
the installed llama-cpp-python vendors (bench/build_llama_bench.py). The app side loads
the model with `LlamaEngine.load` and streams replies through `LlamaEngine.stream`, the
path a conversation takes, with the app's sampling parameters and a fixed seed whose reply
runs the full length; its speed is `TurnStats.tokens_per_second` (first token to last, so
the prompt is left out, as llama-bench's `tg` test leaves it out). With `--depth D` the
app's prompt holds about D tokens and llama-bench runs with `-d D`. Flash attention is off
on both sides by default, as the engine loads models (llama-bench's own default, auto,
turns it on for CPUs, and it changes what a seed draws); `--flash-attn on` compares both
with it.

Each round runs one app reply and one llama-bench run, who goes first alternating, so a
machine getting busier or quieter hits both; `ratio` is the ratio of the two medians and
`paired_ratio` the median of each round's ratio. `--omp` sets OMP_WAIT_POLICY for both
sides (OpenMP reads it once, when llama.cpp is loaded, so several policies run in their own
processes, alternating round by round). The last line is JSON: app_tps, llamacpp_tps,
ratio, threads, tokens, depth and the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
from pathlib import Path

FILLER = ("I walked along the harbour this morning and watched the boats come in, thinking "
          "about the week and the people I have not called back yet. ")
ASK = "Write a long, slow story about a lighthouse keeper and the sea, with many details."


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.decode", description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for both sides (default: the app's own choice)")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--depth", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--reps", type=int, default=1, help="runs per side per round")
    parser.add_argument("--flash-attn", choices=("off", "on"), default="off",
                        help="flash attention for both sides (default: off, as the engine "
                             "loads models; llama-bench's own default is auto, on for CPUs)")
    parser.add_argument("--omp", default="",
                        help="OMP_WAIT_POLICY for both sides: PASSIVE, ACTIVE or unset; a "
                             "comma-separated list compares them (default: as inherited)")
    return parser.parse_args(argv)


def set_policy(policy: str) -> None:
    if policy.lower() == "unset":
        os.environ.pop("OMP_WAIT_POLICY", None)
    elif policy:
        os.environ["OMP_WAIT_POLICY"] = policy


# the app ------------------------------------------------------------------------------


class App:
    """One loaded engine, its prompt at the asked depth and a seed that runs the full length."""

    def __init__(self, model: Path, threads: int, tokens: int, depth: int,
                 flash_attn: bool = False) -> None:
        from companion.domain import SamplingParams
        from companion.engine.llama import LlamaEngine
        from companion.models.files import inspect_model

        context = max(4096, depth + tokens + 512)
        self.engine = LlamaEngine.load(inspect_model(model), context_tokens=context,
                                       threads=threads, flash_attn=flash_attn)
        self.threads = int(self.engine._llm.n_threads)
        self.params = SamplingParams(max_tokens=tokens)
        self.messages = self._messages(depth)
        self.depth = self.engine.count_tokens(self.messages)
        self.seed = self._full_length_seed(tokens)

    def _messages(self, depth: int) -> list[dict[str, str]]:
        """About `depth` tokens of prompt: journal-like text, then the request."""
        text = ""
        while True:
            messages = [{"role": "user", "content": text + ASK}]
            if self.engine.count_tokens(messages) >= depth:
                return messages
            text += FILLER

    def _full_length_seed(self, tokens: int) -> int:
        """The first seed whose reply is not cut short by end-of-generation."""
        for seed in range(20):
            self.reply(seed)
            if self.engine.last_stats.generated_tokens >= tokens:
                return seed
        return 0

    def reply(self, seed: int) -> float:
        for _ in self.engine.stream(self.messages, self.params, seed, threading.Event()):
            pass
        return self.engine.last_stats.tokens_per_second

    def run(self, reps: int) -> float:
        return statistics.median(self.reply(self.seed) for _ in range(reps))


# llama-bench --------------------------------------------------------------------------


def llama_bench_binary() -> Path:
    env = os.environ.get("LLAMA_BENCH")
    if env:
        return Path(env)
    from bench.build_llama_bench import llama_bench

    return llama_bench()


def llama_bench_tps(binary: Path, model: Path, threads: int, tokens: int, depth: int,
                    reps: int, flash_attn: str = "off") -> float:
    command = [str(binary), "-m", str(model), "-t", str(threads), "-n", str(tokens),
               "-p", "0", "-r", str(reps), "-fa", flash_attn, "-o", "json"]
    if depth:
        command += ["-d", str(depth)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    results = json.loads(done.stdout)
    return float(statistics.median(results[0]["samples_ts"]))


# one policy, in this process ----------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, float | int | str]:
    set_policy(args.omp)
    binary = llama_bench_binary()
    app = App(args.model, args.threads, args.tokens, args.depth, args.flash_attn == "on")

    def bench() -> float:
        return llama_bench_tps(binary, args.model, app.threads, args.tokens, app.depth,
                               args.reps, args.flash_attn)

    apps: list[float] = []
    benches: list[float] = []
    for round_no in range(args.rounds):
        # Who goes first alternates, so a machine getting busier or quieter hits both.
        if round_no % 2:
            benches.append(bench())
            apps.append(app.run(args.reps))
        else:
            apps.append(app.run(args.reps))
            benches.append(bench())
        print(f"round {round_no + 1}: app {apps[-1]:6.1f} t/s   llama-bench {benches[-1]:6.1f} t/s",
              file=sys.stderr)
    app_tps, bench_tps = statistics.median(apps), statistics.median(benches)
    paired = statistics.median(a / b for a, b in zip(apps, benches, strict=True))
    return {"app_tps": round(app_tps, 2), "llamacpp_tps": round(bench_tps, 2),
            "ratio": round(app_tps / bench_tps, 3), "paired_ratio": round(paired, 3),
            "threads": app.threads, "tokens": args.tokens, "depth": app.depth,
            "flash_attn": args.flash_attn,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset")}


def compare_policies(args: argparse.Namespace, policies: list[str]) -> dict[str, object]:
    """Each policy in its own process, one round at a time, alternating."""
    runs: dict[str, list[dict[str, float]]] = {p: [] for p in policies}
    for _ in range(args.rounds):
        for policy in policies:
            command = [sys.executable, "-m", "bench.decode", str(args.model),
                       "--threads", str(args.threads), "--tokens", str(args.tokens),
                       "--depth", str(args.depth), "--rounds", "1", "--reps", str(args.reps),
                       "--flash-attn", args.flash_attn, "--omp", policy]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[policy].append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary: dict[str, dict[str, float]] = {}
    for policy, results in runs.items():
        app = statistics.median(r["app_tps"] for r in results)
        bench = statistics.median(r["llamacpp_tps"] for r in results)
        summary[policy] = {"app_tps": round(app, 2), "llamacpp_tps": round(bench, 2),
                           "ratio": round(app / bench, 3)}
        print(f"OMP_WAIT_POLICY={policy:<8} app {app:6.1f} t/s   llama-bench {bench:6.1f} t/s"
              f"   ratio {app / bench:.3f}")
    first = runs[policies[0]][0]
    return {**summary[policies[0]], "threads": first["threads"], "tokens": args.tokens,
            "depth": first["depth"], "flash_attn": args.flash_attn, "omp": summary}


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    policies = [p.strip() for p in args.omp.split(",") if p.strip()]
    if len(policies) > 1:
        result = compare_policies(args, policies)
    else:
        result = measure(args)
        print(f"app {result['app_tps']} t/s, llama-bench {result['llamacpp_tps']} t/s, "
              f"ratio {result['ratio']} ({result['threads']} threads, {args.tokens} tokens, "
              f"depth {result['depth']}, OMP_WAIT_POLICY={result['omp_wait_policy']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
