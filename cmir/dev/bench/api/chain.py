"""The bench's chain: an anvil whose genesis is a year ago, the contracts deployed on it, then one
block per day up to now (the synthetic events live in those blocks, the checkpoint is the last)."""

from __future__ import annotations

from pathlib import Path

from cmir.api.chain import ChainReader, ViewCall
from cmir.chain.deployment import load_deployment
from cmir.chain.rpc import RpcClient
from cmir.dev import devchain
from cmir.dev.bench.api.ledger import PoolSettings
from cmir.dev.bench.api.synthetic import Block
from cmir.dev.devchain import deploy, free_port, rpc
from cmir.store.epochs import Clock

__all__ = ["DAY", "Anvil", "daily_blocks", "deploy", "free_port", "pool_settings"]

DAY = 86_400


class Anvil(devchain.Anvil):
    """An anvil on a free port (cmir.dev.devchain) whose genesis is at `genesis_time`."""

    def __init__(self, genesis_time: int) -> None:
        super().__init__("--timestamp", str(genesis_time))


def daily_blocks(url: str, days: int) -> list[Block]:
    """Mine one block per day for `days` days and return their headers."""
    first = int(rpc(url, "eth_blockNumber", timeout=120), 16) + 1
    rpc(url, "anvil_mine", [hex(days), hex(DAY)], timeout=120)
    client = RpcClient(url, timeout=120)
    try:
        headers = client.batch(
            [("eth_getBlockByNumber", [hex(n), False]) for n in range(first, first + days)]
        )
    finally:
        client.close()
    return [Block(int(h["number"], 16), h["hash"], h["parentHash"], int(h["timestamp"], 16)) for h in headers]


def pool_settings(url: str, record: Path) -> PoolSettings:
    """The deployed pool's epoch clock, reward cap and parties' minimum share."""
    reader = ChainReader(url, load_deployment(record), timeout=60)
    try:
        _, values = reader.read(
            "latest",
            [
                ViewCall("clock", "pool", "epochClock"),
                ViewCall("cap", "pool", "epochRewardCapBps"),
                ViewCall("parties", "pool", "partiesMinShareBps"),
            ],
        )
    finally:
        reader.close()
    clock = values["clock"]
    return PoolSettings(
        clock=Clock(
            origin=int(clock["origin"]), length=int(clock["length"]), origin_epoch=int(clock["originEpoch"])
        ),
        reward_cap_bps=int(values["cap"]),
        parties_min_share_bps=int(values["parties"]),
    )
