"""How well the offline crisis scan finds risk, and how often it fires on benign words.

Run: .venv/bin/python -m bench.crisis [--safety PATH] [--misses]
  --safety PATH  measure another copy of companion/care/safety.py (e.g. the one before a
                 change, written out with its lexicon beside it by `git show`); its
                 lexicon is found where that copy looks for it.
  --misses       list the missed risk messages and the benign ones that fired.

Two sets in tests/fixtures/crisis: `heldout.toml`, written before the lexicon was
fitted and never tuned to (its figure is the honest one), and `tuning.toml`, which the
lexicon is fitted to. Each prints recall (risk messages that fired) and the false-alarm
rate (benign messages that fired) per language and per kind of signal, then the scan's
median time per message. The last line is JSON with the overall figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parents[1]
FIXTURES = HERE / "tests" / "fixtures" / "crisis"
SETS = ("heldout", "tuning")


def load_set(name: str) -> list[tuple[str, str, str]]:
    """(language, kind, text) for every message of a set; kind "benign" must not fire."""
    path = FIXTURES / f"{name}.toml"
    if not path.exists():
        return []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(language, kind, text) for language, kinds in raw.items()
            for kind, texts in kinds.items() for text in texts]


def safety_module(path: str | None) -> ModuleType:
    if path is None:
        from companion.care import safety
        return safety
    spec = importlib.util.spec_from_file_location("safety_under_test", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def rate(hit: int, total: int) -> str:
    return f"{hit:3}/{total:<3} {100 * hit / total:5.1f}%" if total else "    -          "


def measure(cases: list[tuple[str, str, str]], fired: Callable[[str], bool],
            misses: bool) -> dict[str, float | int]:
    by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    shown: list[str] = []
    for language, kind, text in cases:
        hit = fired(text)
        row = by_language[language]
        if kind == "benign":
            row[2] += hit
            row[3] += 1
            if hit and misses:
                shown.append(f"  false alarm [{language}] {text}")
        else:
            row[0] += hit
            row[1] += 1
            by_kind[kind][0] += hit
            by_kind[kind][1] += 1
            if not hit and misses:
                shown.append(f"  missed [{language}/{kind}] {text}")
    print(f"  {'language':9} {'recall':16} {'false alarms':16}")
    for language, (hit, total, alarm, benign) in by_language.items():
        print(f"  {language:9} {rate(hit, total)}  {rate(alarm, benign)}")
    print(f"  {'kind':13} recall")
    for kind, (hit, total) in sorted(by_kind.items()):
        print(f"  {kind:13} {rate(hit, total)}")
    totals = [sum(row[i] for row in by_language.values()) for i in range(4)]
    print(f"  {'all':9} {rate(totals[0], totals[1])}  {rate(totals[2], totals[3])}")
    for line in shown:
        print(line)
    return {"recall": round(totals[0] / max(totals[1], 1), 4), "risk": totals[1],
            "false_alarm": round(totals[2] / max(totals[3], 1), 4), "benign": totals[3]}


def asked(cases: list[tuple[str, str, str]], safety: ModuleType) -> dict[str, int]:
    """What the local model's second opinion would be asked about (care/second_opinion):
    risk messages the word list missed but marked as distress (the model can still catch
    them), and benign messages it would be asked about (its cost: one short call each)."""
    signals = [(kind, safety.scan(text)) for _, kind, text in cases]
    missed = [s for kind, s in signals if kind != "benign" and not s.fired]
    benign = [s for kind, s in signals if kind == "benign"]
    counts = {"missed": len(missed),
              "missed_asked": sum(getattr(s, "distress", False) for s in missed),
              "benign_asked": sum(s.level == "possible" or getattr(s, "distress", False)
                                  for s in benign)}
    print(f"  second opinion: asked about {counts['missed_asked']} of {counts['missed']} "
          f"missed risk messages, and {counts['benign_asked']} of {len(benign)} benign ones")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safety", help="another copy of companion/care/safety.py")
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    safety = safety_module(args.safety)
    safety.lexicon()  # compiled once, as in the app, before anything is timed
    out: dict[str, object] = {"safety": args.safety or "companion/care/safety.py"}
    texts: list[str] = []
    for name in SETS:
        cases = load_set(name)
        if not cases:
            continue
        print(f"{name} ({len(cases)} messages)")
        out[name] = measure(cases, lambda text: safety.scan(text).fired, args.misses)
        out[name].update(asked(cases, safety))  # type: ignore[union-attr]
        texts += [text for _, _, text in cases]
    times = []
    for text in texts * 5:
        start = time.perf_counter()
        safety.scan(text)
        times.append(time.perf_counter() - start)
    out["scan_median_us"] = round(statistics.median(times) * 1e6, 1)
    print(f"scan: median {out['scan_median_us']} µs per message over {len(times)} scans")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
