"""The pool: balance, buckets, settings, history; and the social-utility ratio."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from cmir.api.schemas.common import Amount, AsOf, Period, Ratio, Schema


class BucketFigures(Schema):
    """One bucket: what it received from inflows, what is left, what left it."""

    received: Amount
    available: Amount
    spent: Amount = Field(description="claimed (members), disbursed (ESS) or spent (collective)")


class Buckets(Schema):
    """The three buckets."""

    members: BucketFigures
    ess: BucketFigures
    collective: BucketFigures


class Shares(Schema):
    """How an inflow is split, in basis points (sum 10,000), and the ESS floor fixed at deployment."""

    members_bps: int | None
    ess_bps: int | None
    collective_bps: int | None
    ess_floor_bps: int | None = Field(
        description="read from the pool contract; null if the chain is unreachable"
    )


class PointWeights(Schema):
    """Points a relation gives each party, in basis points of its amount."""

    payer_bps: int | None
    counterparty_bps: int | None
    payer_sponsor_bps: int | None
    counterparty_sponsor_bps: int | None


class StewardBudget(Schema):
    """The steward spends the collective fund within a budget per period (collectiveBudget()):
    a period starts with the first spending after the previous one ended."""

    amount: Amount | None = Field(description="the most the steward may spend per period")
    period: int | None = Field(description="seconds")
    period_start: datetime | None = Field(description="start of the running period; null when none runs")
    period_ends_at: datetime | None
    spent: Amount = Field(description="spent in the running period (0 when none runs)")
    left: Amount | None = Field(description="what the steward may still spend in it")


class Pool(Schema):
    """The pool at the indexed block, from the mirrored events. Epochs run on the block-time
    clock: points earned in an epoch are pending and share only in inflows booked after it ends;
    the figures are at the indexed block's time, as the pool's views give them then."""

    as_of: AsOf
    balance: Amount = Field(description="received - claimed - ESS disbursed - collective spent")
    total_received: Amount
    total_out: Amount
    buckets: Buckets
    members_to_ess: Amount = Field(
        description="of the members' shares, what went to ESS: no matured points yet, above the "
        "epoch's reward cap, or rounding (included in the ESS bucket)"
    )
    matured_points: str = Field(
        pattern=r"^[0-9]+$", description="points sharing in inflows booked now (totals().maturedPoints)"
    )
    pending_points: str = Field(
        pattern=r"^[0-9]+$", description="points earned in the current epoch (totals().pendingPoints)"
    )
    epoch: int | None = Field(description="the current epoch (epoch()); null before the clock is indexed")
    epoch_length: int | None = Field(description="seconds (epochClock().length)")
    epoch_ends_at: datetime | None = Field(
        description="when the current epoch ends (epochEndsAt(epoch)): points earned now mature then"
    )
    epoch_reward_cap_bps: int | None = Field(
        description="the most a matured point earns per epoch, in basis points of a token base unit "
        "(epochRewardCapBps()); the members' share above it goes to ESS"
    )
    max_epoch_reward_cap_bps: int | None = Field(
        description="the highest cap the shares and weights allow, 10,000 x (10,000 - members_bps) "
        "/ sum of the point weights, at most 10,000 (maxEpochRewardCapBps())"
    )
    shares: Shares
    point_weights: PointWeights
    parties_min_share_bps: int | None = Field(
        description="the least share of a relation's points its payer and counterparty keep: "
        "(payer_bps + counterparty_bps) x 10,000 / sum of the weights (partiesMinShareBps())"
    )
    min_relation_fee: Amount | None
    membership_fee: Amount
    steward: str | None
    steward_budget: StewardBudget
    inflow_count: int
    relation_count: int
    active_members: int
    token_symbol: str
    token_decimals: int


class PoolHistoryPoint(Schema):
    """The pool at the end of a period (cumulative figures after its last event)."""

    start: date = Field(description="first day of the period")
    total_received: Amount
    balance: Amount
    buckets: Buckets


class PoolHistory(Schema):
    """The pool over time, oldest period first (periods without events are left out)."""

    as_of: AsOf
    period: Period
    points: list[PoolHistoryPoint]


class SocialUtilityPoint(Schema):
    """Both ratios, cumulative up to the end of a period."""

    start: date
    disbursed_ratio: Ratio
    allocated_ratio: Ratio


class SocialUtility(Schema):
    """Social utility: ESS disbursed ÷ total received (money that reached ESS projects) and ESS
    allocated ÷ total received (money set aside for them), now and over time."""

    as_of: AsOf
    disbursed_ratio: Ratio
    allocated_ratio: Ratio
    ess_floor_bps: int | None
    period: Period
    series: list[SocialUtilityPoint]
