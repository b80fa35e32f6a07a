"""Handlers of the ESS project registry's events."""

from __future__ import annotations

from cmir.indexer.events import Event
from cmir.indexer.projections.context import Context


def _change(ctx: Context, event: Event, kind: str, **fields: object) -> None:
    row = {
        **event.base(),
        "project_id": int(event.args["projectId"]),
        "kind": kind,
        "owner": None,
        "payout_wallet": None,
        "metadata_uri": None,
        "metadata_hash": None,
        "active": None,
        "wallet_version": None,
    }
    row.update(fields)
    ctx.uow.add("ess_project_changes", row)


def project_registered(ctx: Context, event: Event) -> None:
    """A new project at wallet version 1, inactive until governance activates it (a project
    governance registers is switched on by the next event); its metadata is fetched and checked
    after the batch."""
    args = event.args
    ctx.uow.projects.create(
        {
            "chain_id": ctx.chain_id,
            "project_id": int(args["projectId"]),
            "owner": args["owner"],
            "payout_wallet": args["payoutWallet"],
            "metadata_uri": args["metadataURI"],
            "metadata_hash": args["metadataHash"],
            "active": False,
            "wallet_version": 1,
            "inactive_reason": "registered",
            "registered_block": event.block_number,
            "registered_time": event.block_time,
            "updated_block": event.block_number,
            "updated_time": event.block_time,
            "funded_total": 0,
            "funding_count": 0,
            "metadata_status": "pending",
            "metadata_doc": None,
            "metadata_error": None,
            "metadata_checked_at": None,
        }
    )
    _change(
        ctx,
        event,
        "registered",
        owner=args["owner"],
        payout_wallet=args["payoutWallet"],
        metadata_uri=args["metadataURI"],
        metadata_hash=args["metadataHash"],
        active=False,
        wallet_version=1,
    )


def project_updated(ctx: Context, event: Event) -> None:
    """New wallet or metadata; changed metadata is fetched and checked again. A new wallet
    (a new wallet version) switched the project off, if it was on: it waits for a vote."""
    args = event.args
    project_id, version = int(args["projectId"]), int(args["walletVersion"])
    project = ctx.uow.projects.get(ctx.uow.connection, (ctx.chain_id, project_id))
    if project is not None:
        if version != project["wallet_version"] and not project["active"]:
            switched_here = (event.tx_hash, project_id) in ctx.switched_off
            if switched_here or project["inactive_reason"] != "deactivated":
                project["inactive_reason"] = "wallet_changed"
        project["wallet_version"] = version
        if (project["metadata_uri"], project["metadata_hash"]) != (args["metadataURI"], args["metadataHash"]):
            project.update(
                metadata_status="pending", metadata_doc=None, metadata_error=None, metadata_checked_at=None
            )
        project.update(
            payout_wallet=args["payoutWallet"],
            metadata_uri=args["metadataURI"],
            metadata_hash=args["metadataHash"],
            updated_block=event.block_number,
            updated_time=event.block_time,
        )
    _change(
        ctx,
        event,
        "updated",
        payout_wallet=args["payoutWallet"],
        metadata_uri=args["metadataURI"],
        metadata_hash=args["metadataHash"],
        wallet_version=version,
    )


def project_status_changed(ctx: Context, event: Event) -> None:
    """Governance switched a project on or off (or a wallet change switched it off)."""
    args = event.args
    project_id, active = int(args["projectId"]), bool(args["active"])
    project = ctx.uow.projects.get(ctx.uow.connection, (ctx.chain_id, project_id))
    if not active:
        ctx.switched_off.add((event.tx_hash, project_id))
    if project is not None:
        project.update(
            active=active,
            inactive_reason=None if active else "deactivated",
            updated_block=event.block_number,
            updated_time=event.block_time,
        )
    _change(ctx, event, "status", active=bool(args["active"]))


HANDLERS = {
    "EssProjectRegistered": project_registered,
    "EssProjectUpdated": project_updated,
    "EssProjectStatusChanged": project_status_changed,
}
