"""The relayer's front desk: it checks a member's signed request (signature, target, nonce,
deadline, budget, membership, a simulation), stores it (committed before anything is sent: the
sender, `cmir relay`, sends what is stored), and reads back what became of it.

The API's other routes only read the mirror; these write the relayer's own tables
(`cmir.store.relay`) through an engine of their own. Several API processes may accept requests
at once: the database refuses a second request with the same digest or a pending one with the
same nonce (`IntegrityError`, answered 409)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import Depends, Request
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from cmir.api.schemas.common import PageMeta
from cmir.api.schemas.relay import Budget, ForwardBody, RelayInfo, RelayRequestList, RelayRequestOut, VoteBody
from cmir.api.services.relay_checks import ALLOWED, VOTE_FUNCTION, ChainChecks, RefusalError, digest
from cmir.api.settings import Settings
from cmir.chain.ballots import Ballot
from cmir.chain.calls import Caller
from cmir.chain.deployment import Deployment
from cmir.chain.forwarder import ForwardRequest
from cmir.chain.rpc import RpcClient
from cmir.store.relay import PENDING, REQUESTS, insert_request, usage
from cmir.store.session import make_engine

DAY = 86_400
#: Roles the relayer needs in the deployment record.
NEEDED = ("forwarder", "governor", "membership")


def day_bounds(now: float) -> tuple[date, int, datetime]:
    """The UTC day of `now`, its start (Unix seconds) and the next midnight."""
    day = datetime.fromtimestamp(now, UTC).date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return day, int(start.timestamp()), start + timedelta(days=1)


class RelayDesk:
    """Accepts, stores and reports the members' signed requests for one deployment."""

    def __init__(self, settings: Settings, deployment: Deployment) -> None:
        self.settings = settings
        self.deployment = deployment
        self.chain_id = deployment.chain_id
        missing = [role for role in NEEDED if role not in deployment.contracts]
        self.disabled_reason: str | None = None
        if not settings.relay_enabled:
            self.disabled_reason = "the relayer is disabled on this server (CMIR_RELAY_ENABLED=false)"
        elif missing:
            self.disabled_reason = f"the deployment has no {', '.join(missing)}: nothing to relay through"
        self._client = RpcClient(settings.rpc_url, timeout=settings.rpc_timeout, max_retries=1)
        self.checks = ChainChecks(Caller(self._client, deployment))
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The write engine (opened on first use: a server that never relays never writes)."""
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url, writer=True, pool_size=2, max_overflow=4)
        return self._engine

    def close(self) -> None:
        """Close the chain client and the write engine."""
        self._client.close()
        if self._engine is not None:
            self._engine.dispose()

    # -- reading

    def info(self) -> RelayInfo:
        """Whether the API relays, through what, and within which limits."""
        contracts = self.deployment.contracts
        return RelayInfo(
            enabled=self.disabled_reason is None,
            reason=self.disabled_reason,
            forwarder=contracts["forwarder"].address if "forwarder" in contracts else None,
            governor=contracts["governor"].address if "governor" in contracts else None,
            functions={role: list(names) for role, names in ALLOWED.items()},
            daily_requests=self.settings.relay_daily_requests,
            daily_gas=self.settings.relay_daily_gas,
            max_gas=self.settings.relay_max_gas,
            max_deadline_seconds=self.settings.relay_max_deadline,
        )

    def _out(self, row: Any) -> RelayRequestOut:
        template = self.settings.explorer_tx_urls.get(self.deployment.network)
        return RelayRequestOut(
            id=row.id,
            kind=row.kind,
            status=row.status,
            signer=row.signer,
            target=row.target,
            function=row.function,
            nonce=str(row.nonce),
            deadline=datetime.fromtimestamp(row.deadline, UTC),
            tx_hash=row.tx_hash,
            explorer_url=template.format(tx=row.tx_hash) if template and row.tx_hash else None,
            block_number=row.block_number,
            gas_used=row.gas_used,
            attempts=row.attempts,
            error=row.error_name,
            explanation=row.last_error,
            created_at=datetime.fromtimestamp(row.created_at, UTC),
            updated_at=datetime.fromtimestamp(row.updated_at, UTC),
        )

    def request(self, request_id: int) -> RelayRequestOut | None:
        """One request by id (None when unknown)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(REQUESTS).where(REQUESTS.c.id == request_id, REQUESTS.c.chain_id == self.chain_id)
            ).first()
        return self._out(row) if row is not None else None

    def requests(self, signer: str | None, limit: int, offset: int) -> RelayRequestList:
        """A page of requests (one signer's, or everyone's), newest first."""
        where = [REQUESTS.c.chain_id == self.chain_id]
        if signer is not None:
            where.append(REQUESTS.c.signer == signer)
        with self.engine.connect() as connection:
            total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
            rows = connection.execute(
                select(REQUESTS).where(*where).order_by(REQUESTS.c.id.desc()).limit(limit).offset(offset)
            ).all()
        after = offset + len(rows)
        return RelayRequestList(
            items=[self._out(r) for r in rows],
            page=PageMeta(
                limit=limit, offset=offset, total=total, next_offset=after if after < total else None
            ),
        )

    def budget(self, address: str, now: float | None = None) -> Budget:
        """What `address` used of its daily budget (the UTC day of `now`)."""
        day, start, resets = day_bounds(time.time() if now is None else now)
        with self.engine.connect() as connection:
            requests, gas = usage(connection, self.chain_id, address, start)
        return Budget(
            address=address,
            day=day.isoformat(),
            requests_used=requests,
            requests_allowed=self.settings.relay_daily_requests,
            gas_used=gas,
            gas_allowed=self.settings.relay_daily_gas,
            resets_at=resets,
        )

    # -- accepting

    def _enabled(self) -> None:
        if self.disabled_reason is not None:
            raise RefusalError(503, self.disabled_reason)

    def _not_seen(self, signature: str) -> None:
        """409 when this signature was received before: the same signed request, replayed."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(REQUESTS.c.id, REQUESTS.c.status).where(REQUESTS.c.signature == signature.lower())
            ).first()
        if row is not None:
            raise RefusalError(
                409,
                f"replayed request: this signed request was received before (request {row.id}, {row.status})",
            )

    def _within_budget(self, signer: str, gas: int) -> None:
        """429 when `signer` used up its requests or gas of the UTC day."""
        used = self.budget(signer)
        seconds = max(1, int((used.resets_at - datetime.now(UTC)).total_seconds()))
        if used.requests_used + 1 > used.requests_allowed:
            raise RefusalError(
                429,
                f"daily budget spent: {used.requests_used} of {used.requests_allowed} requests relayed today"
                f" for {signer}; it resets at {used.resets_at:%Y-%m-%d %H:%M} UTC",
                retry_after=seconds,
            )
        if used.gas_used + gas > used.gas_allowed:
            raise RefusalError(
                429,
                f"daily budget spent: {used.gas_used} of {used.gas_allowed} gas used today for {signer}, this"
                f" request needs {gas}; it resets at {used.resets_at:%Y-%m-%d %H:%M} UTC",
                retry_after=seconds,
            )

    def _store(self, values: dict[str, Any]) -> RelayRequestOut:
        """Commit the accepted request (before anything is sent); 409 when the database already
        holds its digest or a pending request with its nonce."""
        try:
            with self.engine.begin() as connection:
                request_id = insert_request(connection, {"chain_id": self.chain_id, **values})
        except IntegrityError:
            with self.engine.connect() as connection:
                row = connection.execute(
                    select(REQUESTS.c.id, REQUESTS.c.status, REQUESTS.c.digest).where(
                        (REQUESTS.c.digest == values["digest"])
                        | (
                            (REQUESTS.c.chain_id == self.chain_id)
                            & (REQUESTS.c.kind == values["kind"])
                            & (REQUESTS.c.signer == values["signer"])
                            & (REQUESTS.c.nonce == values["nonce"])
                            & REQUESTS.c.status.in_(PENDING)
                        )
                    )
                ).first()
            if row is not None and row.digest == values["digest"]:
                raise RefusalError(
                    409, f"replayed request: already received (request {row.id}, {row.status})"
                ) from None
            which = f" (request {row.id})" if row is not None else ""
            raise RefusalError(
                409, f"a request of {values['signer']} with nonce {values['nonce']} is already pending{which}"
            ) from None
        except OperationalError as exc:
            raise RefusalError(503, f"the relayer's database cannot be written now: {exc.orig}") from None
        found = self.request(request_id)
        assert found is not None
        return found

    def accept_forward(self, body: ForwardBody) -> RelayRequestOut:
        """Check a signed forward request and store it; `RefusalError` otherwise."""
        self._enabled()
        self._not_seen(body.signature)
        raw = body.request
        signer = to_checksum_address(raw.from_)
        data = bytes.fromhex(raw.data[2:])
        target = self.checks.target(raw.to, data)
        if raw.value != 0:
            raise RefusalError(422, "value must be 0: the relayer sends no ether")
        if raw.gas > self.settings.relay_max_gas:
            raise RefusalError(
                422, f"gas {raw.gas} is above the relayer's cap of {self.settings.relay_max_gas}"
            )
        request = ForwardRequest(signer, raw.to, data, raw.gas, raw.nonce, raw.deadline, raw.value)
        signature = bytes.fromhex(body.signature[2:])
        typed = request.typed_data(self.checks.domain("forwarder"))
        try:
            recovered = request.signer(self.checks.domain("forwarder"), signature)
        except Exception:  # a signature that recovers nobody (bad v, s out of range)
            recovered = None
        if recovered != signer:
            raise RefusalError(400, f"forged signature: it was not made by {signer} over this request")
        now = self.checks.now()
        if raw.deadline <= now:
            raise RefusalError(422, f"the deadline {raw.deadline} has passed (the chain's clock is {now})")
        if raw.deadline > now + self.settings.relay_max_deadline:
            raise RefusalError(
                422,
                f"the deadline is more than {self.settings.relay_max_deadline} s ahead: sign a nearer one",
            )
        expected = self.checks.nonce("forwarder", signer)
        if raw.nonce != expected:
            raise RefusalError(
                422, f"nonce {raw.nonce} is not the forwarder's next nonce for {signer} ({expected})"
            )
        self.checks.check_member(signer, target, now)
        argument = request.execute_argument(signature)
        self.checks.verify_forward(argument)
        gas = self.checks.simulate_forward(raw.to, data, signer, argument)
        self._within_budget(signer, gas)
        return self._store(
            {
                "kind": "forward",
                "signer": signer,
                "target": to_checksum_address(raw.to),
                "target_role": target.role,
                "function": target.function,
                "request": {
                    "from": signer,
                    "to": to_checksum_address(raw.to),
                    "value": str(raw.value),
                    "gas": str(raw.gas),
                    "nonce": str(raw.nonce),
                    "deadline": raw.deadline,
                    "data": raw.data.lower(),
                },
                "signature": body.signature.lower(),
                "digest": digest(typed),
                "nonce": raw.nonce,
                "deadline": raw.deadline,
                "gas_limit": gas,
            }
        )

    def accept_vote(self, body: VoteBody) -> RelayRequestOut:
        """Check a signed ballot and store it; `RefusalError` otherwise."""
        self._enabled()
        self._not_seen(body.signature)
        voter = to_checksum_address(body.voter)
        nonce = self.checks.nonce("governor", voter)
        ballot = Ballot(body.proposal_id, body.support, voter, nonce, body.reason)
        domain = self.checks.domain("governor")
        signature = bytes.fromhex(body.signature[2:])
        try:
            recovered = ballot.signer(domain, signature)
        except Exception:
            recovered = None
        if recovered != voter:
            raise RefusalError(
                400,
                f"forged signature: it was not made by {voter} over this ballot (Governor nonce {nonce})",
            )
        now = self.checks.now()
        self.checks.check_member(voter, None, now)
        arguments = (body.proposal_id, body.support, voter, body.reason, b"", signature)
        gas = self.checks.simulate_vote(arguments, voter)
        deadline = self.checks.proposal_deadline(body.proposal_id)
        self._within_budget(voter, gas)
        return self._store(
            {
                "kind": "vote",
                "signer": voter,
                "target": self.deployment.contracts["governor"].address,
                "target_role": "governor",
                "function": VOTE_FUNCTION,
                "request": {
                    "proposal_id": str(body.proposal_id),
                    "support": body.support,
                    "voter": voter,
                    "nonce": str(nonce),
                    "reason": body.reason,
                    "params": "0x",
                },
                "signature": body.signature.lower(),
                "digest": digest(ballot.typed_data(domain)),
                "nonce": nonce,
                "deadline": deadline,
                "gas_limit": gas,
            }
        )


def relay_desk(request: Request) -> RelayDesk:
    """The application's desk (made by the lifespan: `cmir.api.app`)."""
    desk: RelayDesk = request.app.state.relay
    return desk


Desk = Annotated[RelayDesk, Depends(relay_desk)]
