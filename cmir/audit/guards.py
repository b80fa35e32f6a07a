"""Where the pool's money may go, replayed from the events alone: each ESS funding must pay the
payout wallet its project has on record, while the project is active (the registry's
`EssProjectRegistered`, `EssProjectUpdated` and `EssProjectStatusChanged`); each collective spend
must come from the steward in office (`StewardChanged`) and fit the budget of its period
(`CollectiveBudgetChanged`: at most `amount` per `period` seconds, a period starting with the
first spending after the previous one ended). Written from the published rules, not from the
indexer or the contracts' code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cmir.audit.chain import Event

ZERO = "0x0000000000000000000000000000000000000000"


@dataclass
class Budget:
    """The steward's budget and its running period, as the pool counts them."""

    amount: int = 0
    period: int = 0
    start: int = 0  # 0: no period has started yet
    spent: int = 0

    def view(self, timestamp: int) -> tuple[int, int, int, int]:
        """What `collectiveBudget()` returns at `timestamp`: no running period once it ended."""
        if self.start and timestamp < self.start + self.period:
            return (self.amount, self.period, self.start, self.spent)
        return (self.amount, self.period, 0, 0)


@dataclass
class Guards:
    """The two rules replayed; `fundings` and `spends` list each breach."""

    wallets: dict[int, tuple[str, bool]] = field(default_factory=dict)  # project -> wallet, active
    budget: Budget = field(default_factory=Budget)
    budgeted: bool = False  # the pool announces a budget (CollectiveBudgetChanged seen)
    steward: str | None = None
    fundings: list[str] = field(default_factory=list)
    spends: list[str] = field(default_factory=list)
    fundings_checked: int = 0
    spends_checked: int = 0

    def read(self, event: Event) -> None:
        """Take one event of the pool or the registry into account (in chain order)."""
        a = event.args
        if event.name == "EssProjectRegistered":
            self.wallets[int(a["projectId"])] = (str(a["payoutWallet"]), False)
        elif event.name == "EssProjectUpdated":
            pid = int(a["projectId"])
            wallet, active = self.wallets.get(pid, (ZERO, False))
            self.wallets[pid] = (str(a["payoutWallet"]), active and str(a["payoutWallet"]) == wallet)
        elif event.name == "EssProjectStatusChanged":
            pid = int(a["projectId"])
            self.wallets[pid] = (self.wallets.get(pid, (ZERO, False))[0], bool(a["active"]))
        elif event.name == "EssProjectFunded":
            self._funded(event)
        elif event.name == "StewardChanged":
            self.steward = str(a["newSteward"])
        elif event.name == "CollectiveBudgetChanged":
            self.budgeted = True
            self.budget.amount, self.budget.period = int(a["amount"]), int(a["period"])
        elif event.name == "CollectiveSpent":
            self._spent(event)

    def _where(self, event: Event) -> str:
        return f"{event.name} in tx {event.tx_hash} (log {event.log_index})"

    def _funded(self, event: Event) -> None:
        self.fundings_checked += 1
        pid, paid = int(event.args["projectId"]), str(event.args["payoutWallet"])
        if pid not in self.wallets:
            self.fundings.append(f"{self._where(event)}: project {pid} was never registered")
            return
        wallet, active = self.wallets[pid]
        if paid.lower() != wallet.lower():
            self.fundings.append(
                f"{self._where(event)}: paid {paid}, project {pid}'s wallet on record is {wallet}"
            )
        if not active:
            self.fundings.append(f"{self._where(event)}: project {pid} was not active")

    def _spent(self, event: Event) -> None:
        self.spends_checked += 1
        a = event.args
        if self.steward is not None and str(a["steward"]).lower() != self.steward.lower():
            self.spends.append(
                f"{self._where(event)}: spent by {a['steward']}, the steward was {self.steward}"
            )
        if not self.budgeted or event.timestamp is None:
            return
        budget, amount, now = self.budget, int(a["amount"]), event.timestamp
        if not budget.start or now >= budget.start + budget.period:
            budget.start, budget.spent = now, 0
        left = max(0, budget.amount - budget.spent)
        if amount > left:
            self.spends.append(
                f"{self._where(event)}: {amount} spent with {left} left of the period's budget "
                f"({budget.amount} per {budget.period} s since {budget.start})"
            )
        budget.spent += amount
