"""Differential fuzzing campaign: random kernels and schedules against a reference interpreter.

Each case is a random well-typed kernel (one type family: odd-width integers, int8..int64,
fixed point, float32/float64) with a random schedule. It is checked three ways: the CPU build
against the reference interpreter of ``tests/reliability/fuzz_interp.py``, the CPU build after
the schedule against the same reference, and every ``--csim-every``-th case the HLS C
simulation. Refused primitives (ScheduleError) are counted, not reported, as long as they leave
the IR unchanged.

``--streams`` runs producer/consumer programs connected by ``s.to`` FIFOs instead
(``tests/reliability/fuzz_streams.py``), with the same three checks.

Cases run in child processes (a fresh one every ``--child-cases`` cases), so a crash or a hang
is recorded for its case and the campaign goes on. Children import the ``allo`` of the checkout
this script lives in (its root is put first on ``PYTHONPATH``), whatever is installed. Run::

    python benchmarks/fuzz.py --cases 1000 --seed 1 --csim-every 50

It prints one table per type family and one per primitive, then the reproducer files of any
mismatch or error (standalone scripts). Exit status 1 when a mismatch or error was found.

Long campaigns: ``--records FILE`` appends one JSON line per finished case (flushed at once, so
a killed run keeps every finished case; rerunning the same command skips the cases already in
the file, and with ``--retry-failures`` runs the failing ones again, whose new records replace
the old ones in reports). ``--report FILE`` prints the tables of a records file, also while it is growing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
RELIABILITY = os.path.join(CHECKOUT, "tests", "reliability")
sys.path.insert(0, HERE)
sys.path.insert(0, RELIABILITY)
sys.path.insert(0, CHECKOUT)  # this checkout's allo, not an installed one

from _common import render_table  # noqa: E402


def case_seed(seed: int, index: int) -> int:
    return seed * 1_000_003 + index


# ----------------------------------------------------------------------------- child side


def make_case(args, index: int):
    """Case ``index`` of the campaign (the same for the same seed and mode)."""
    from fuzz_gen import RandomChooser

    chooser = RandomChooser(case_seed(args.seed, index))
    if args.streams:
        from fuzz_streams import generate_stream_case

        return generate_stream_case(chooser)
    from fuzz_gen import generate

    return generate(chooser)


def check_case(case, tag: str, workdir: str, csim: bool):
    if getattr(case, "is_stream_case", False):
        from fuzz_streams import run_stream_case

        return run_stream_case(case, tag, workdir, csim=csim)
    from fuzz_check import run_case

    return run_case(case, tag, workdir, csim=csim)


def child(args) -> None:
    """Run the listed cases, one JSON line each (preceded by a start line)."""
    workdir = tempfile.mkdtemp(prefix="allo-fuzz-")
    out = sys.stdout
    for index in (int(i) for i in args.indices.split(",")):
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        case = make_case(args, index)
        csim = bool(args.csim_every) and index % args.csim_every == 0
        outcome = check_case(case, str(index), workdir, csim)
        record = {"seed": args.seed, "mode": mode_of(args), "index": index,
                  "family": outcome.family, "primitives": outcome.primitives,
                  "refused": outcome.refused, "mismatches": outcome.mismatches,
                  "errors": outcome.errors, "discarded": outcome.discarded, "csim": csim,
                  "seconds": outcome.seconds, "reproducer": outcome.reproducer}
        out.write(json.dumps(record) + "\n")
        out.flush()


def mode_of(args) -> str:
    return "streams" if args.streams else "kernels"


# ----------------------------------------------------------------------------- parent side


class ChildRunner:
    """Drives child processes; a dead or silent child is recorded against its current case."""

    def __init__(self, args, done: set, sink=None):
        self.args, self.done, self.sink = args, done, sink
        self.finished = 0

    def run(self) -> list:
        pending = [i for i in range(self.args.cases) if i not in self.done]
        records = []
        while pending:
            chunk = pending[: self.args.child_cases]
            finished = self._one_child(chunk, records)
            pending = [i for i in pending if i not in finished]
        return records

    def _keep(self, records: list, record: dict, finished: set) -> None:
        records.append(record)
        finished.add(record["index"])
        self.finished += 1
        if self.sink is not None:
            self.sink.write(json.dumps(record) + "\n")
            self.sink.flush()
        sys.stderr.write(f"\r{len(self.done) + self.finished}/{self.args.cases} cases")

    def _one_child(self, chunk: list, records: list) -> set:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--seed", str(self.args.seed),
               "--indices", ",".join(map(str, chunk)), "--csim-every", str(self.args.csim_every)]
        cmd += ["--streams"] if self.args.streams else []
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([CHECKOUT] + [p for p in [env.get("PYTHONPATH")] if p])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                env=env)
        finished, current = set(), chunk[0]
        deadline = time.monotonic() + self.args.timeout
        while True:
            wait = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready:
                proc.kill()
                proc.wait()
                self._keep(records, self._failure(current, f"no result after {self.args.timeout} s"),
                           finished)
                return finished
            line = proc.stdout.readline()
            if not line:
                code = proc.wait()
                if current not in finished and code != 0:
                    self._keep(records, self._failure(current, f"process died with status {code}"),
                               finished)
                return finished
            message = json.loads(line)
            if "start" in message:
                current = message["start"]
                deadline = time.monotonic() + self.args.timeout
            else:
                self._keep(records, message, finished)

    def _failure(self, index: int, what: str) -> dict:
        from fuzz_check import random_inputs, reproducer

        case = make_case(self.args, index)
        csim = bool(self.args.csim_every) and index % self.args.csim_every == 0
        text = reproducer(case, random_inputs(case, case.input_seed), csim)
        return {"seed": self.args.seed, "mode": mode_of(self.args), "index": index,
                "family": case.family, "primitives": case.primitives(), "refused": [],
                "mismatches": [], "errors": [["process", what]], "discarded": False,
                "csim": csim, "seconds": self.args.timeout, "reproducer": text}


def read_records(path: str) -> list:
    """The complete JSON lines of a records file (a line cut by a kill is skipped); a case
    recorded twice (rerun with ``--retry-failures``) counts with its latest record."""
    latest: dict = {}
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        for line in handle:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            latest[(rec.get("seed"), rec.get("mode", "kernels"), rec["index"])] = rec
    return list(latest.values())


def failed(rec: dict) -> bool:
    return bool(rec["mismatches"] or rec["errors"])


# ----------------------------------------------------------------------------- report


def tables(records: list) -> str:
    by_family = collections.OrderedDict()
    by_primitive = collections.OrderedDict()
    for rec in records:
        _account(by_family.setdefault(rec["family"], collections.Counter()), rec, rec["family"])
        for name in sorted(set(rec["primitives"])):
            row = by_primitive.setdefault(name, collections.Counter())
            _account(row, rec, None)
            row["applications"] += rec["primitives"].count(name)
            row["refused"] += rec["refused"].count(name)
    if not records:
        return "no cases"
    total = collections.Counter()
    for rec in records:
        _account(total, rec, None)
    family_rows = [[name] + _cells(row) for name, row in by_family.items()]
    family_rows.append(["all"] + _cells(total))
    head = ["family", "cases", "csim", "mismatches", "refused prims", "errors", "discarded", "time"]
    prim_head = ["primitive", "cases", "applications", "refused", "mismatches", "errors", "time"]
    prim_rows = [[name, str(row["cases"]), str(row["applications"]), str(row["refused"]),
                  str(row["mismatches"]), str(row["errors"]), f"{row['seconds']:.1f} s"]
                 for name, row in sorted(by_primitive.items())]
    return (render_table(head, family_rows, left_columns=1) + "\n\n"
            + render_table(prim_head, prim_rows, left_columns=1))


def _account(row: collections.Counter, rec: dict, family) -> None:
    row["cases"] += 1
    row["csim"] += bool(rec["csim"])
    row["mismatches"] += bool(rec["mismatches"])
    row["errors"] += bool(rec["errors"])
    row["discarded"] += bool(rec["discarded"])
    row["refused_total"] += len(rec["refused"])
    row["seconds"] += rec["seconds"]


def _cells(row) -> list:
    return [str(row["cases"]), str(row["csim"]), str(row["mismatches"]), str(row["refused_total"]),
            str(row["errors"]), str(row["discarded"]), f"{row['seconds']:.1f} s"]


def summary(records: list) -> str:
    seeds = sorted({rec.get("seed") for rec in records}, key=str)
    modes = sorted({rec.get("mode", "kernels") for rec in records})
    csim = sum(bool(rec["csim"]) for rec in records)
    return (f"allo differential fuzzing ({', '.join(modes) or '-'}): {len(records)} cases, "
            f"seed {', '.join(map(str, seeds)) or '-'}, {csim} with C simulation")


def print_failures(records: list, directory: str) -> int:
    """Write a reproducer per failing case, list them; the number of failing cases."""
    bad = [rec for rec in records if failed(rec)]
    if not bad:
        return 0
    directory = directory or tempfile.mkdtemp(prefix="allo-fuzz-repro-")
    os.makedirs(directory, exist_ok=True)
    print(f"\n{len(bad)} failing case(s); reproducers in {directory}:")
    for rec in bad:
        path = os.path.join(directory, f"case_{rec.get('seed', 'x')}_{rec['index']}.py")
        with open(path, "w") as handle:
            handle.write(rec["reproducer"])
        for stage, detail in rec["mismatches"] + rec["errors"]:
            print(f"  case {rec['index']} ({rec['family']}) {stage}: {detail[:300]}")
    return len(bad)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csim-every", type=int, default=0,
                        help="also run C simulation on every K-th case (0: never)")
    parser.add_argument("--streams", action="store_true",
                        help="producer/consumer kernels connected by s.to(...) FIFOs")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    parser.add_argument("--child-cases", type=int, default=200,
                        help="cases per child process (a fresh process bounds memory growth)")
    parser.add_argument("--records", default="",
                        help="append one JSON line per case to this file; skip cases it holds")
    parser.add_argument("--retry-failures", action="store_true",
                        help="with --records: run the failing cases again (after a fix)")
    parser.add_argument("--report", default="", metavar="FILE",
                        help="only print the tables of a records file")
    parser.add_argument("--reproducers", default="", help="directory for reproducer scripts")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--indices", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.child:
        child(args)
        return 0
    if args.report:
        records = read_records(args.report)
        print(summary(records))
        print(tables(records))
        return 1 if print_failures(records, args.reproducers) else 0
    done, sink = set(), None
    if args.records:
        os.makedirs(os.path.dirname(os.path.abspath(args.records)), exist_ok=True)
        done = {rec["index"] for rec in read_records(args.records)
                if rec.get("seed") == args.seed and rec.get("mode", "kernels") == mode_of(args)
                and not (args.retry_failures and failed(rec))}
        sink = open(args.records, "a")
    start = time.monotonic()
    try:
        records = ChildRunner(args, done, sink).run()
    finally:
        if sink is not None:
            sink.close()
    sys.stderr.write("\n")
    if args.records:  # the whole campaign so far, resumed runs included
        records = [rec for rec in read_records(args.records) if rec.get("seed") == args.seed
                   and rec.get("mode", "kernels") == mode_of(args)]
    print(f"{summary(records)}, C simulation every {args.csim_every or '-'} cases, "
          f"{time.monotonic() - start:.0f} s")
    print(tables(records))
    return 1 if print_failures(records, args.reproducers) else 0


if __name__ == "__main__":
    sys.exit(main())
