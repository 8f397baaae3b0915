"""Differential fuzzing campaign: random kernels and schedules against a reference interpreter.

Each case is a random well-typed kernel (one type family: odd-width integers, int8..int64,
fixed point, float32/float64) with a random schedule. It is checked three ways: the CPU build
against the reference interpreter of ``tests/reliability/fuzz_interp.py``, the CPU build after
the schedule against the same reference, and every ``--csim-every``-th case the HLS C
simulation. Refused primitives (ScheduleError) are counted, not reported, as long as they leave
the IR unchanged.

Cases run in a child process, so a crash or a hang is recorded for its case and the campaign
goes on. Run::

    python benchmarks/fuzz.py --cases 1000 --seed 1 --csim-every 50

It prints one table per type family and one per primitive, then the reproducer files of any
mismatch or error (standalone scripts). Exit status 1 when a mismatch or error was found.
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
RELIABILITY = os.path.join(os.path.dirname(HERE), "tests", "reliability")
sys.path.insert(0, HERE)
sys.path.insert(0, RELIABILITY)

from _common import render_table  # noqa: E402


def case_seed(seed: int, index: int) -> int:
    return seed * 1_000_003 + index


# ----------------------------------------------------------------------------- child side


def child(args) -> None:
    """Run cases ``start .. start+count-1``, one JSON line each (preceded by a start line)."""
    from fuzz_check import run_case
    from fuzz_gen import RandomChooser, generate

    workdir = tempfile.mkdtemp(prefix="allo-fuzz-")
    out = sys.stdout
    for index in range(args.start, args.start + args.count):
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        case = generate(RandomChooser(case_seed(args.seed, index)))
        csim = bool(args.csim_every) and index % args.csim_every == 0
        outcome = run_case(case, str(index), workdir, csim=csim)
        record = {"index": index, "family": outcome.family, "primitives": outcome.primitives,
                  "refused": outcome.refused, "mismatches": outcome.mismatches,
                  "errors": outcome.errors, "discarded": outcome.discarded, "csim": csim,
                  "seconds": outcome.seconds, "reproducer": outcome.reproducer}
        out.write(json.dumps(record) + "\n")
        out.flush()


# ----------------------------------------------------------------------------- parent side


class ChildRunner:
    """Drives child processes; a dead or silent child is recorded against its current case."""

    def __init__(self, args):
        self.args = args

    def run(self):
        index, records = 0, []
        while index < self.args.cases:
            records_from_child, index = self._one_child(index)
            records += records_from_child
        return records

    def _one_child(self, start: int):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--seed", str(self.args.seed),
               "--start", str(start), "--count", str(self.args.cases - start),
               "--csim-every", str(self.args.csim_every)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        records, current, buffer = [], start, ""
        deadline = time.monotonic() + self.args.timeout
        while True:
            wait = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready:
                proc.kill()
                proc.wait()
                records.append(self._failure(current, f"no result after {self.args.timeout} s"))
                return records, current + 1
            line = proc.stdout.readline()
            if not line:
                code = proc.wait()
                if current < self.args.cases and code != 0:
                    records.append(self._failure(current, f"process died with status {code}"))
                    return records, current + 1
                return records, self.args.cases
            message = json.loads(line)
            if "start" in message:
                current = message["start"]
                deadline = time.monotonic() + self.args.timeout
            else:
                records.append(message)
                current = message["index"] + 1
                sys.stderr.write(f"\r{current}/{self.args.cases} cases")

    def _failure(self, index: int, what: str) -> dict:
        from fuzz_check import reproducer, random_inputs
        from fuzz_gen import RandomChooser, generate

        case = generate(RandomChooser(case_seed(self.args.seed, index)))
        csim = bool(self.args.csim_every) and index % self.args.csim_every == 0
        return {"index": index, "family": case.family, "primitives": case.primitives(),
                "refused": [], "mismatches": [], "errors": [["process", what]],
                "discarded": False, "csim": csim, "seconds": self.args.timeout,
                "reproducer": reproducer(case, random_inputs(case, case.input_seed), csim)}


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csim-every", type=int, default=0,
                        help="also run C simulation on every K-th case (0: never)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    parser.add_argument("--reproducers", default="", help="directory for reproducer scripts")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    start = time.monotonic()
    records = ChildRunner(args).run()
    sys.stderr.write("\n")
    print(f"allo differential fuzzing: {len(records)} cases, seed {args.seed}, "
          f"C simulation every {args.csim_every or '-'} cases, {time.monotonic() - start:.0f} s")
    print(tables(records))
    bad = [rec for rec in records if rec["mismatches"] or rec["errors"]]
    if bad:
        directory = args.reproducers or tempfile.mkdtemp(prefix="allo-fuzz-repro-")
        os.makedirs(directory, exist_ok=True)
        print(f"\n{len(bad)} failing case(s); reproducers in {directory}:")
        for rec in bad:
            path = os.path.join(directory, f"case_{args.seed}_{rec['index']}.py")
            with open(path, "w") as handle:
                handle.write(rec["reproducer"])
            for stage, detail in rec["mismatches"] + rec["errors"]:
                print(f"  case {rec['index']} ({rec['family']}) {stage}: {detail[:300]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
