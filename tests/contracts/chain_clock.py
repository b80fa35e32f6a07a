"""The development chain's clock, stopped for a test (see the `clock` fixture in conftest.py):
every block gets the latest block's timestamp until the test moves it on, so a test decides which
epoch each of its transactions falls in, and can mine several transactions in one block."""

from __future__ import annotations

from typing import Any, Protocol

# Gas limit of a transaction mined in a shared block (not estimated: the block is not mined yet).
_BLOCK_TX_GAS = 1_000_000


class EpochSchedule(Protocol):
    """An epoch clock (the model's `EpochClock`): which epoch a timestamp is in, when one ends."""

    def epoch_at(self, timestamp: int) -> int:
        """The epoch `timestamp` falls in."""

    def epoch_end(self, epoch: int) -> int:
        """When `epoch` ends: the first second of the next one."""


class ChainClock:
    """The development chain's clock, stopped: every block gets the latest block's timestamp
    until the test moves it on, so a test decides which epoch each transaction falls in."""

    def __init__(self, chain: Any) -> None:
        self._chain = chain

    @property
    def now(self) -> int:
        """The latest block's timestamp: what views see, and when the next transaction runs."""
        return int(self._chain.blocks.head.timestamp)

    def travel_to(self, timestamp: int) -> int:
        """Mine an empty block at `timestamp` (not before the latest block); returns it."""
        assert timestamp >= self.now, f"the clock cannot go back from {self.now} to {timestamp}"
        self._chain.mine(timestamp=timestamp)
        return timestamp

    def travel(self, seconds: int) -> int:
        """Move the clock `seconds` on; returns the new time."""
        return self.travel_to(self.now + seconds)

    def next_epoch(self, schedule: EpochSchedule, count: int = 1) -> int:
        """Move to the first second of the `count`-th epoch after the current one on `schedule`;
        returns that epoch's number."""
        current = schedule.epoch_at(self.now)
        self.travel_to(schedule.epoch_end(current + count - 1))
        return current + count

    def in_one_block(self, *calls: tuple[Any, Any, tuple[Any, ...]]) -> list[Any]:
        """Mine `(sender, contract method, arguments)` calls in one block, in this order (each
        sender at most once); returns their receipts. The order is forced by priority fees."""
        provider = self._chain.provider
        senders = [str(sender.address) for sender, _, _ in calls]
        assert len(set(senders)) == len(senders), "one call per sender: nonces are taken before mining"
        fee = int(provider.base_fee) * 2 + 10 * len(calls)
        hashes = []
        provider.auto_mine = False
        try:
            for place, (sender, method, arguments) in enumerate(calls):
                tip = 10 * (len(calls) - place)
                transaction = method.as_transaction(
                    *arguments,
                    sender=sender,
                    gas=_BLOCK_TX_GAS,
                    max_fee=fee,
                    max_priority_fee=tip,
                )
                signed = sender.sign_transaction(transaction)
                hashes.append(provider.web3.eth.send_raw_transaction(signed.serialize_transaction()))
            self._chain.mine()
        finally:
            provider.auto_mine = True
        mined = [provider.web3.eth.get_transaction_receipt(tx_hash) for tx_hash in hashes]
        assert len({receipt["blockNumber"] for receipt in mined}) == 1, "not mined in one block"
        places = [receipt["transactionIndex"] for receipt in mined]
        assert places == sorted(places), f"mined out of order: {places}"
        return [provider.get_receipt(tx_hash.to_0x_hex()) for tx_hash in hashes]
