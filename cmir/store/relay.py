"""The relayer's tables: the members' signed requests the API accepted and the sender sends
(``relay_requests``), the lease that lets one sender at a time hold the operator's key
(``relay_leases``), and the ESS project metadata documents the API stores and serves back
(``ess_metadata_documents``).

A request's life: ``accepted`` (checked and committed by the API, before anything is sent) →
``sent`` (the operator's signed transaction and its hash committed, then broadcast) →
``confirmed`` (mined, with the gas used) or ``failed`` (refused by the chain or by the last
check before sending, with the revert explained); ``expired`` when its deadline passed before it
could be sent. Nothing is deleted: a request, once accepted, is never lost.

Unlike the mirror's tables, these are not written by the indexer: the API writes the requests
and documents, the sender the statuses. They live in the same database and migrations so that
one ``alembic upgrade`` (the indexer's, at start) makes the whole schema.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    case,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from cmir.store.base import Base
from cmir.store.types import BigId, Json, Uint256

#: What a request asks: a call through the ERC-2771 forwarder, or a vote by signature.
KINDS = ("forward", "vote")
ACCEPTED, SENT, CONFIRMED, FAILED, EXPIRED = "accepted", "sent", "confirmed", "failed", "expired"
STATUSES = (ACCEPTED, SENT, CONFIRMED, FAILED, EXPIRED)
#: Statuses of a request still on its way (the sender's work, a nonce in use).
PENDING = (ACCEPTED, SENT)
#: The one lease of the sender (one process at a time holds the operator's key).
SENDER_LEASE = "sender"

_PENDING_SQL = "status IN ('accepted', 'sent')"


class RelayRequest(Base):
    """One signed request a member asked the API to relay, and what became of it."""

    __tablename__ = "relay_requests"
    __table_args__ = (
        # one pending request per signer and nonce: the forwarder (or the Governor) spends the
        # nonce, so a second one signed with it could only fail after costing the operator gas
        Index(
            "uq_relay_requests_pending_nonce",
            "chain_id",
            "kind",
            "signer",
            "nonce",
            unique=True,
            sqlite_where=text(_PENDING_SQL),
            postgresql_where=text(_PENDING_SQL),
        ),
        Index("ix_relay_requests_signer", "chain_id", "signer", "created_at"),
        Index("ix_relay_requests_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8), doc="forward | vote")
    signer: Mapped[str] = mapped_column(String(42), doc="the signer: the forward's from, the voter")
    target: Mapped[str] = mapped_column(String(42), doc="the CMIR contract called (the Governor for a vote)")
    target_role: Mapped[str] = mapped_column(String(16), doc="its role in the deployment record")
    function: Mapped[str] = mapped_column(String(64), doc="the function called on the target")
    request: Mapped[dict[str, Any]] = mapped_column(Json, doc="the whole signed request, as signed")
    signature: Mapped[str] = mapped_column(String(132), doc="0x-hex, 65 bytes")
    digest: Mapped[str] = mapped_column(String(66), unique=True, doc="EIP-712 hash of the request: no replay")
    nonce: Mapped[int] = mapped_column(Uint256, doc="the forwarder's or the Governor's nonce it spends")
    deadline: Mapped[int] = mapped_column(BigInteger, doc="Unix time after which it is not sent")
    gas_limit: Mapped[int] = mapped_column(BigInteger, doc="gas it may use (budgeted until mined)")
    status: Mapped[str] = mapped_column(String(12), default=ACCEPTED)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    raw_tx: Mapped[str | None] = mapped_column(Text, doc="the operator's signed transaction (to resend)")
    tx_nonce: Mapped[int | None] = mapped_column(BigInteger, doc="the operator's account nonce it uses")
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="broadcasts and retries so far")
    error_name: Mapped[str | None] = mapped_column(String(64), doc="the custom error's name, if it reverted")
    last_error: Mapped[str | None] = mapped_column(Text, doc="the revert explained, or the last RPC failure")
    created_at: Mapped[int] = mapped_column(BigInteger, doc="Unix seconds: accepted")
    updated_at: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger, doc="confirmed, failed or expired")


class RelayLease(Base):
    """Who may send now: a sender renews its lease while it runs; another takes it only once it
    has lapsed. Several API processes accept requests; one sender sends them."""

    __tablename__ = "relay_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(BigInteger, doc="Unix seconds")


class MetadataDocument(Base):
    """An ESS project's metadata document, stored by the API byte for byte under its keccak-256."""

    __tablename__ = "ess_metadata_documents"

    hash: Mapped[str] = mapped_column(String(66), primary_key=True, doc="0x keccak-256 of the bytes")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)


REQUESTS = RelayRequest.__table__
LEASES = RelayLease.__table__
DOCUMENTS = MetadataDocument.__table__


def insert_request(connection: Connection, values: dict[str, Any]) -> int:
    """Insert an accepted request; returns its id. Raises `IntegrityError` when its digest was
    seen before, or a request with its nonce is pending (the caller says which)."""
    now = int(time.time())
    row = {"status": ACCEPTED, "attempts": 0, "created_at": now, "updated_at": now, **values}
    result = connection.execute(insert(REQUESTS).values(row).returning(REQUESTS.c.id))
    return int(result.scalar_one())


def usage(connection: Connection, chain_id: int, signer: str, since: int) -> tuple[int, int]:
    """(requests, gas) `signer` used since `since` (Unix seconds): every request accepted then
    but those that expired unsent; mined ones count their gas used, pending ones the gas they may
    use, and one that failed before it was sent none (it cost nothing)."""
    gas = case(
        (REQUESTS.c.gas_used.is_not(None), REQUESTS.c.gas_used),
        (REQUESTS.c.status.in_(PENDING), REQUESTS.c.gas_limit),
        else_=0,
    )
    row = connection.execute(
        select(func.count(), func.coalesce(func.sum(gas), 0)).where(
            REQUESTS.c.chain_id == chain_id,
            REQUESTS.c.signer == signer,
            REQUESTS.c.created_at >= since,
            REQUESTS.c.status != EXPIRED,
        )
    ).one()
    return int(row[0]), int(row[1])


def update_request(connection: Connection, request_id: int, **values: Any) -> None:
    """Set `values` on a request (and its ``updated_at``)."""
    connection.execute(
        update(REQUESTS).where(REQUESTS.c.id == request_id).values(updated_at=int(time.time()), **values)
    )


def take_lease(connection: Connection, holder: str, seconds: float, name: str = SENDER_LEASE) -> bool:
    """Take or renew the lease `name` for `holder` until `seconds` from now; False when another
    holder's lease is still running."""
    now = time.time()
    renewed = connection.execute(
        update(LEASES)
        .where(LEASES.c.name == name, (LEASES.c.holder == holder) | (LEASES.c.expires_at < now))
        .values(holder=holder, expires_at=int(now + seconds))
    )
    if renewed.rowcount:
        return True
    try:
        with connection.begin_nested():
            connection.execute(insert(LEASES).values(name=name, holder=holder, expires_at=int(now + seconds)))
    except IntegrityError:
        return False
    return True


def release_lease(connection: Connection, holder: str, name: str = SENDER_LEASE) -> None:
    """Give the lease up (a sender stopping), if `holder` holds it."""
    connection.execute(
        update(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder).values(expires_at=0)
    )
