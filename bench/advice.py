"""Advice generation on the demo account with a real local model (SmolLM2 by default).

    .venv/bin/python bench/advice.py [--model PATH] [--section-chars 120] [--threads 2]

Runs two scans of the demo account (moto on 127.0.0.1) in a throw-away embedded installation
with LLM_MODEL_PATH set, waits for each scan's advice, and prints: failing findings, distinct
failing (rule, evidence shape) pairs, generations (model calls), what the quality gate let
through, and completion tokens per second. The second scan shows the cache: no generation.
Section size and max tokens are flags because a 135M model fills whatever room the schema gives
it; keep them equal when comparing models.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_MODEL = Path("~/.cache/securescope/models/SmolLM2-135M-Instruct.Q4_1.gguf").expanduser()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--section-chars", type=int, default=120)
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=0, help="0: llama.cpp decides")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if not args.model.is_file():
        parser.error(
            f"{args.model} not found: the advice tests fetch SmolLM2 there; or pass --model"
        )
    data_dir = tempfile.mkdtemp(prefix="securescope-bench-advice-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="securescope.settings",
        DATA_DIR=data_dir,
        FEATURE_FLAGS="llm",
        LLM_MODEL_PATH=str(args.model),
        LLM_THREADS=str(args.threads),
        LLM_MAX_TOKENS=str(args.max_tokens),
        ADVICE_SECTION_MAX_CHARS=str(args.section_chars),
        ADVICE_REQUESTS_PER_MINUTE="100000",
        ADVICE_PER_SCAN_CAP="100000",
        AWS_MAX_ATTEMPTS="2",
        DEMO_MODE="true",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "LLM_ENDPOINT", "LLM_PROVIDER"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Sum

    from advice.models import Advice, ScanAdvice
    from advice.services import advice_wait
    from findings.models import Finding
    from scans.lifecycle.services import scan_start_demo, scan_wait

    call_command("migrate", verbosity=0)
    print(f"model {args.model.name}, sections <= {args.section_chars} chars, data in {data_dir}")
    for run in (1, 2):
        started = time.monotonic()
        scan = scan_wait(scan_id=scan_start_demo().id, timeout=600)
        scanned = time.monotonic()
        pending = advice_wait(scan_id=scan.id, timeout=args.timeout)
        advised = time.monotonic()
        failing = Finding.objects.filter(scan=scan, status=Finding.Status.FAIL).count()
        items = ScanAdvice.objects.filter(scan=scan)
        generated = Advice.objects.filter(id__in=items.filter(generated=True).values("advice_id"))
        totals = generated.aggregate(
            tokens=Sum("completion_tokens"), seconds=Sum("generation_seconds")
        )
        tokens, seconds = totals["tokens"] or 0, totals["seconds"] or 0.0
        print(
            f"scan {run}: {failing} failing findings, "
            f"{items.count()} distinct (rule, shape) pairs, "
            f"{items.filter(generated=True).count()} generations "
            f"({generated.filter(source='model').count()} passed the quality gate, "
            f"{generated.filter(source='curated').count()} rejected), {pending} unfinished; "
            f"scan {scanned - started:.1f} s, advice {advised - scanned:.1f} s"
        )
        if tokens:
            print(
                f"  {tokens} completion tokens in {seconds:.1f} s of generation: "
                f"{tokens / seconds:.1f} tokens/s, "
                f"{tokens / generated.count():.0f} tokens per generation"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
