"""What `--shard I/N` buys: one full rescore against N shard workers scoring the same store side by side.

    python benchmarks/shard_benchmark.py --store URL [--shards 2] [--repeats 2]

The store must be imported and scored already (benchmarks/scale_benchmark.py or scoring_benchmark.py build one;
PostgreSQL is where shards are meant to run, docs/scaling.md). Each run is a fresh process that loads the engine
first and then waits for a start signal, so start-up is not timed: the unsharded full rescore, then N workers
started together, each scoring its shard in full. The sharded figure is the span from the first worker's start
to the last worker's end. Unsharded and sharded runs alternate `--repeats` times; the best of each is kept.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import DATASET_END, DEFAULT_MODEL  # noqa: E402
from benchmarks.scoring_benchmark import maintain  # noqa: E402

GO = "go\n"
#: Every run scores as of this moment: after the benchmarks' own runs (the data set's end and an hour later), so a
#: store they left is scored forward, never replayed.
AS_OF = DATASET_END + timedelta(hours=2)


def run_workers(url: str, shards: list[str | None]) -> tuple[float, list[dict]]:
    """Start one worker per entry (a shard "I/N", or None: unsharded), release them together, and return the span
    from the first start to the last end with each worker's own figures."""
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, *(["--shard", shard] if shard else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for shard in shards
    ]
    for worker in workers:  # each says "ready" once its imports are done
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(GO)
        worker.stdin.flush()
    figures = []
    for worker in workers:
        output, _ = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"a worker failed ({worker.returncode}): {output}")
        figures.append(json.loads(output.strip().splitlines()[-1]))
    return max(f["ended"] for f in figures) - min(f["started"] for f in figures), figures


def worker(url: str, shard_text: str | None) -> None:
    from connector.scoring import load_model, score_store
    from connector.scoring.shard import parse_shard
    from connector.store import make_engine

    engine, model = make_engine(url), load_model(DEFAULT_MODEL)
    shard = parse_shard(shard_text) if shard_text else None
    print("ready", flush=True)
    sys.stdin.readline()
    started, cpu = time.time(), time.process_time()
    summary = score_store(engine, model, as_of=AS_OF, full=True, shard=shard)
    figures = {"started": started, "ended": time.time(), "cpu": time.process_time() - cpu}
    print(json.dumps(figures | {"contacts": summary.contacts_scored}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", metavar="URL", help="a store already imported and scored")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--shard", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker(options.worker, options.shard)
        return
    if not options.store:
        parser.error("--store URL is required")
    shards = [f"{index}/{options.shards}" for index in range(options.shards)]
    best: dict[str, tuple[float, list[dict]]] = {}
    for _ in range(options.repeats):
        for name, workers in (("unsharded", [None]), ("sharded", shards)):
            maintain(options.store)
            span, figures = run_workers(options.store, workers)
            print(f"{name}: {span:.2f} s, CPU {[round(f['cpu'], 2) for f in figures]}", flush=True)
            if name not in best or span < best[name][0]:
                best[name] = (span, figures)
    one, many = best["unsharded"][0], best["sharded"][0]
    contacts = sum(f["contacts"] for f in best["sharded"][1])
    print(f"full rescore, one process:      {one:6.2f} s")
    workers = f"{options.shards} shard workers"
    print(f"full rescore, {workers}: {many:6.2f} s ({contacts:,} contacts) = {one / many:.2f}x faster")


if __name__ == "__main__":
    main()
