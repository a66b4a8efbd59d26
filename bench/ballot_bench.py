"""What an encrypted ballot costs in CPU: the group operations, casting, checking and counting.

    .venv/bin/python bench/ballot_bench.py [--ballots 2000]

No database and no server: the arithmetic alone (``participation.election`` and
``participation.verify_ballots``), timed in CPU seconds of this process (``time.process_time``), so a
crowded box changes the figures less than it changes wall-clock throughput. The vote path's other
costs (HTTP, the token, two inserts and an event, one commit) are in ``participation_bench.py``.
Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from harness import machine

from smartgov.participation import election, verify_ballots


def cpu_ms(f: Callable[[], object], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=2000, help="Ballots in the box that is counted.")
    args = parser.parse_args()
    keys = election.ceremony(2, 3)
    y = keys.public_key
    poll = verify_ballots.context("poll", 1, y)
    budget = verify_ballots.context("budget", 1, y)
    rows = [
        ("variable-base scalar multiplication", cpu_ms(lambda: verify_ballots.mul(987654321987654321, y), 3000)),
        ("fixed-base scalar multiplication", cpu_ms(lambda: verify_ballots.base(987654321987654321), 3000)),
        ("point addition", cpu_ms(lambda: verify_ballots.add(y, verify_ballots.G), 10000)),
        ("cast: poll of 3 options (encrypt + 3 0/1 proofs + count proof)",
         cpu_ms(lambda: election.encrypt_ballot(poll, y, [0, 1, 0], [1]), 300)),
        ("cast: approval budget, 5 projects, at most 3",
         cpu_ms(lambda: election.encrypt_ballot(budget, y, [1, 0, 1, 0, 0], [1, 2, 3]), 300)),
        ("cast: knapsack budget, 20 projects",
         cpu_ms(lambda: election.encrypt_ballot(budget, y, [1, 0] * 10, list(range(1, 21))), 50)),
    ]
    one = verify_ballots.read_ballot(election.encrypt_ballot(poll, y, [0, 0, 1], [1]), 3, "x")
    rows.append(("check one poll ballot (3 options)",
                 cpu_ms(lambda: verify_ballots.check_ballot(poll, y, one, [1], "x"), 300)))
    rng = random.Random(15)
    picks = [rng.randrange(3) for _ in range(args.ballots)]
    ballots = [verify_ballots.read_ballot(election.encrypt_ballot(poll, y, [int(i == k) for i in range(3)], [1]),
                                          3, "x") for k in picks]
    start = time.process_time()
    for b in ballots:
        verify_ballots.check_ballot(poll, y, b, [1], "x")
    aggregate = [verify_ballots.total(b.ciphertexts[i] for b in ballots) for i in range(3)]
    shares = {}
    for j in (1, 2):
        part = election.decrypt_share(poll, election.TrusteeShare(1, j, keys.shares[j]), aggregate)
        shares[j] = [bytes.fromhex(x) for x in part["shares"]]
    counts = verify_ballots.combine(aggregate, shares, len(ballots))
    counted = time.process_time() - start
    assert counts == [picks.count(k) for k in range(3)]
    print(f"### {machine()}\n")
    print("`bench/ballot_bench.py` (CPU time of one process):\n")
    print("| what | CPU ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.3f} |")
    print(f"\nCounting a poll of {args.ballots:,} ballots (every proof checked, two trustees' decryptions, "
          f"the discrete logs): {counted:.1f} s of CPU, {counted / args.ballots * 1000:.2f} ms a ballot.")


if __name__ == "__main__":
    main()
