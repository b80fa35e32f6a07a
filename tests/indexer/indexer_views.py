"""Test helper: the mirror's pool figures against the pool's own views, at the indexed block.

The views count a member's pending points of an ended epoch as matured (and the last booking's
pending total in ``totals()``), so the mirror's rows — as of each one's last event — are seen
at the indexed block's time through `indexer.epochs` before they are compared."""

from __future__ import annotations

from typing import Any

from indexer_mirror import engine_for
from sqlalchemy import select

from indexer.db import Checkpoint, DaoState, IndexedBlock, Member
from indexer.epochs import Clock, latest_clock, member_now

#: ``totals()`` fields and the ``dao_state`` columns holding them (points: see `pool_matches`).
TOTALS = (
    "total_received", "members_received", "ess_received", "collective_received", "rewards_claimed",
    "ess_disbursed", "collective_spent",
)  # fmt: skip


def pool_matches(pool: Any, db_url: str) -> list[str]:
    """Differences between the mirror in `db_url` and `pool` (a web3 contract) at the mirror's
    checkpoint: totals, settings, the epoch clock, and every member's points, pending epoch,
    maturity time and claimable rewards. Empty when they agree."""
    problems: list[str] = []
    with engine_for(db_url).connect() as connection:
        block = connection.execute(select(Checkpoint.block_number)).scalar_one()
        at = select(IndexedBlock.timestamp).where(IndexedBlock.number == block)
        now = connection.execute(at).scalar_one()
        state = dict(connection.execute(select(DaoState.__table__)).mappings().one())
        members = [dict(m) for m in connection.execute(select(Member.__table__)).mappings()]
        chain_id = int(state["chain_id"])
        seen = {m["address"]: member_now(connection, m, state, now) for m in members}
        clock = latest_clock(connection, chain_id)

    def view(name: str, *args: Any) -> Any:
        return getattr(pool.functions, name)(*args).call(block_identifier=block)

    if state["accumulator_mismatches"]:
        problems.append(f"{state['accumulator_mismatches']} accumulator mismatches")
    if clock is None or clock != Clock.from_state(state) or clock != Clock(*view("epochClock")):
        problems.append(f"clock {clock} / {Clock.from_state(state)} != chain {view('epochClock')}")
        return problems
    matured, pending = state["matured_points"], state["pending_points"]
    epoch = clock.epoch_at(now)
    if state["points_epoch"] < epoch:
        matured, pending = matured + pending, 0
    mirrored = (*(state[f] for f in TOTALS), matured, pending, state["reward_per_point"], epoch)
    if mirrored != tuple(view("totals")):
        problems.append(f"totals {mirrored} != chain {tuple(view('totals'))}")
    settings = (state["epoch_reward_cap_bps"], state["parties_min_share_bps"])
    if settings != (view("epochRewardCapBps"), view("partiesMinShareBps")):
        problems.append(f"cap and parties' share {settings} differ from the chain's")
    for address, member in seen.items():
        row = next(m for m in members if m["address"] == address)
        stored = row["matured_points"] + row["pending_points"]
        mine = (member.matured, member.pending, member.pending_epoch or 0, member.matures_at or 0)
        chain = tuple(view("memberPoints", address))
        if mine != chain or stored != view("pointsOf", address):
            problems.append(f"{address}: points {mine} (stored {stored}) != chain {chain}")
        due = view("claimableOf", address)
        if member.claimable != due:
            problems.append(f"{address}: claimable {member.claimable} != chain {due}")
    return problems
