"""The `cmir` command line: help everywhere, a revert explained in one sentence with a non-zero
exit, bad input refused in one line with a non-zero exit, nothing sent without confirmation; an
invitation accepted naming its sponsor and kind, the guardian's cancellation with its reason, an
expired approval, the steward's budget and a member's probation."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from cmir.chain.deploy import NetworkSettings
from cmir.chain.reverts import (
    DOCS_FILE,
    EXPIRED_MEANING,
    build_manifest,
    docs_from_manifest,
    error_table,
    explain,
)
from cmir.dev.demo.data import GUARDIAN_REASON
from cmir.dev.devchain import free_port, rpc
from tests.e2e.helpers import ROOT, Stack, cmir

COMMANDS = [
    [],
    ["member"],
    ["member", "invite"],
    ["member", "accept"],
    ["member", "join"],
    ["member", "revoke"],
    ["member", "attest"],
    ["member", "show"],
    ["member", "pay"],
    ["member", "claim"],
    ["member", "rewards"],
    ["dao"],
    ["dao", "propose-funding"],
    ["dao", "propose-activate"],
    ["dao", "propose-shares"],
    ["dao", "propose-epoch-length"],
    ["dao", "propose-reward-cap"],
    ["dao", "propose-parties-min-share"],
    ["dao", "propose-quorum-floor"],
    ["dao", "propose-grace-period"],
    ["dao", "propose-membership-rules"],
    ["dao", "propose-collective-budget"],
    ["dao", "propose-guardian"],
    ["dao", "propose-attester"],
    ["dao", "guardian-cancel"],
    ["dao", "vote"],
    ["dao", "queue"],
    ["dao", "execute"],
    ["dao", "proposals"],
    ["collective"],
    ["collective", "spend"],
    ["deploy"],
    ["serve"],
    ["relay"],
    ["index"],
    ["audit"],
    ["faucet"],
    ["dev", "travel"],
]


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "cmir")
def test_help_everywhere(command: list[str]) -> None:
    done = cmir(*command, "--help")
    assert done.code == 0, done.text
    assert "Usage: cmir" in done.out


def _manifest() -> Path:
    """The compiled project's manifest (`make test` compiles before the end-to-end tests)."""
    manifest = build_manifest()
    assert manifest is not None and manifest.exists(), "compile the project first (ape compile)"
    return manifest


def test_error_table_matches_the_build() -> None:
    _manifest()
    assert json.loads(DOCS_FILE.read_text()) == docs_from_manifest(), "run `python -m cmir.chain.reverts`"


#: The contracts whose own errors (named after them) must each read as one sentence.
OWN_ERRORS = {
    "Redistribution": "Redistribution",
    "TestnetEuro": "TestnetEuro",
    "Membership": "Membership",
    "EssProjectRegistry": "EssProjectRegistry",
    "CmirGovernor": "CmirGovernor",
}
#: OpenZeppelin's errors that mean something precise in CMIR DAO.
IN_CMIR = (
    "GovernorRestrictedProposer",
    "GovernorInsufficientProposerVotes",
    "GovernorUnexpectedProposalState",
)


def _sample(entry: dict[str, Any]) -> bytes:
    """Revert data of `entry` with made-up arguments (an Expired state for the Governor's)."""
    types_ = [i["type"] for i in entry["inputs"]]
    samples: dict[str, Any] = {"address": "0x" + "11" * 20, "bool": True, "bytes32": b"\1" * 32, "uint8": 6}
    values = [samples.get(t, 7) for t in types_]
    return keccak(text=entry["signature"])[:4] + encode(types_, values)


def test_every_error_of_the_contracts_is_one_sentence() -> None:
    types = json.loads(_manifest().read_text())["contractTypes"]
    abis = [types[name]["abi"] for name in OWN_ERRORS]
    own = [
        entry
        for entry in error_table(abis).values()
        if entry["name"].startswith(tuple(OWN_ERRORS.values())) or entry["name"] in IN_CMIR
    ]
    names = {entry["name"] for entry in own}
    for expected in (
        "TestnetEuroDailyAllowanceExceeded",
        "RedistributionRewardCapAboveMax",
        "RedistributionCollectiveBudgetExceeded",
        "RedistributionBudgetPeriodOutOfRange",
        "RedistributionPayoutMismatch",
        "MembershipInProbation",
        "MembershipNoInvitationLeft",
        "MembershipInvitationExpired",
        "MembershipInvitationKindMismatch",
        "MembershipEssStructureNotAttested",
        "MembershipRuleOutOfRange",
        "MembershipFeeAboveCeiling",
        "EssProjectRegistryWalletChanged",
        "CmirGovernorGuardianCannotCancelReplacement",
        "CmirGovernorGuardianChangeNotAlone",
        "CmirGovernorNotGuardian",
        "CmirGovernorSettingOutOfRange",
        *IN_CMIR,
    ):
        assert expected in names, expected
    for entry in own:
        sentence = explain(_sample(entry), abis)
        assert sentence.startswith(entry["name"] + "("), sentence
        meaning = sentence.split("): ", 1)[1]
        assert meaning != "no description in the contracts' NatSpec.", entry["signature"]
        assert meaning.endswith(".") and meaning.count(". ") == 0, sentence
    expired = next(entry for entry in own if entry["name"] == "GovernorUnexpectedProposalState")
    assert explain(_sample(expired), abis).endswith(EXPIRED_MEANING)
    assert "current=Expired" in explain(_sample(expired), abis)


def test_explain_decodes_standard_reverts() -> None:
    assert explain("0x", []).startswith("the transaction reverted without a reason")
    message = (
        "0x08c379a0"
        + (b"\x00" * 31 + b"\x20").hex()
        + (b"\x00" * 31 + b"\x03").hex()
        + b"bad".ljust(32, b"\0").hex()
    )
    assert explain(message, []) == "Error('bad'): the contract refused with this message."
    assert explain("0x4e487b71" + "11".rjust(64, "0"), []).startswith("Panic(0x11): an arithmetic operation")


def test_reverts_are_explained(stack: Stack) -> None:
    abeille = stack.account(3)["address"]
    below = stack.cmir("member", "pay", abeille, "5", "--ref", "TROP-PEU", *stack.signer(1), "--yes")
    assert below.code == 1
    line = one_line(below.err)
    assert "would revert: RedistributionFeeBelowMinimum(amount=5.00 tEUR, minimum=10.00 tEUR)" in line
    assert "is below the governed minimum relation fee" in line
    steward = stack.cmir("collective", "spend", abeille, "10", "--memo", "non", *stack.signer(1), "--yes")
    assert steward.code == 1
    assert (
        "RedistributionNotSteward" in one_line(steward.err)
        and "not the collective fund's steward" in steward.err
    )
    nothing = stack.cmir("member", "claim", *stack.signer(98), "--yes")
    assert nothing.code == 1 and "RedistributionNothingToClaim" in one_line(nothing.err)
    outsider = stack.cmir(
        "member", "invite", stack.account(99)["address"], "--kind", "Abeille", *stack.signer(98), "--yes"
    )
    assert outsider.code == 1 and "MembershipNotActiveMember" in one_line(outsider.err)


def test_bad_input_is_one_line_and_non_zero(stack: Stack, tmp_path: Path) -> None:
    pilote = stack.account(1)["address"]
    cap = NetworkSettings.for_network("demo").epoch_reward_cap_bps
    cases = [
        (
            ["member", "pay", "0x1234", "10", "--ref", "X", *stack.signer(2), "--yes"],
            2,
            "is not an Ethereum address",
        ),
        (["member", "pay", pilote, "0", "--ref", "X", *stack.signer(2), "--yes"], 2, "must be positive"),
        (["member", "pay", pilote, "dix", "--ref", "X", *stack.signer(2), "--yes"], 2, "is not a number"),
        (
            ["member", "pay", pilote, "1.1234567", "--ref", "X", *stack.signer(2), "--yes"],
            2,
            "more than 6 decimals",
        ),
        (["member", "pay", pilote, "10", "--ref", "R" * 40, *stack.signer(2), "--yes"], 2, "1 to 32 bytes"),
        (["member", "pay", pilote, "10", "--ref", "X", "--yes"], 2, "choose who signs"),
        (["member", "pay", pilote, "10", *stack.signer(2), "--yes"], 2, "Missing option '--ref'"),
        (["member", "invite", pilote, "--kind", "Frelon", *stack.signer(2), "--yes"], 2, "'--kind'"),
        (["dao", "propose-shares", "5000", "3000", "1000", *stack.signer(2), "--yes"], 2, "sum to 10000"),
        (["dao", "propose-shares", "7000", "1000", "2000", *stack.signer(2), "--yes"], 2, "below the floor"),
        # Members at 45 % (the demo's executed proposal), weights summing to 10,000 bps: a point
        # costs 55 % of a unit.
        (["dao", "propose-reward-cap", "6000", *stack.signer(2), "--yes"], 2, "above 5500 bps, the most"),
        (["dao", "propose-reward-cap", str(cap), *stack.signer(2), "--yes"], 2, f"already {cap} bps"),
        (["dao", "propose-epoch-length", "91d", *stack.signer(2), "--yes"], 2, "outside the pool's bounds"),
        (["dao", "propose-epoch-length", "1d", *stack.signer(2), "--yes"], 2, "epochs already last 1 d"),
        (["dao", "propose-parties-min-share", "4000", *stack.signer(2), "--yes"], 2, "at least 5000 bps"),
        (
            ["dao", "propose-parties-min-share", "8000", *stack.signer(2), "--yes"],
            2,
            "give the parties 7000 bps of a relation's points, below 8000 bps",
        ),
        (["dao", "vote", "999", "for", *stack.signer(2), "--yes"], 1, "no proposal 999"),
        (["dao", "vote", "1", "peut-etre", *stack.signer(2), "--yes"], 2, "is not one of 'for'"),
        (["dao", "proposals", "--state", "bizarre"], 2, "unknown state"),
        (
            ["member", "show", pilote, "--deployment", str(tmp_path / "absent.json")],
            2,
            "no deployment record",
        ),
        (["member", "show", pilote, "--rpc-url", f"http://127.0.0.1:{free_port()}"], 1, "no chain answers"),
        (["member", "show", "--network", "sepolia"], 2, "is not ECOSYSTEM:NETWORK"),
        (
            ["deploy", "--network", "ethereum:holesky:node", "--yes"],
            2,
            "no deployment settings for 'ethereum:holesky'",
        ),
        (
            ["audit", "--rpc", stack.rpc_url, "--deployment", str(tmp_path / "absent.json")],
            2,
            "does not exist",
        ),
    ]
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not the password\n")
    cases.append(
        (
            [
                "member",
                "claim",
                "--keyfile",
                stack.account(2)["keyfile"],
                "--password-file",
                str(wrong),
                "--yes",
            ],
            1,
            "wrong password",
        )
    )
    for args, code, message in cases:
        done = stack.cmir(*args)
        assert done.code == code, (args, done.text)
        assert message in one_line(done.err), (args, done.err)
        assert done.err.startswith("error: "), done.err


def test_nothing_is_sent_without_confirmation(stack: Stack) -> None:
    sender = stack.account(4)["address"]
    before = rpc(stack.rpc_url, "eth_getTransactionCount", [sender, "latest"])
    done = stack.cmir(
        "member", "pay", stack.account(1)["address"], "12", "--ref", "SANS-OUI", *stack.signer(4)
    )
    assert done.code == 1
    assert "About to pay 12.00 tEUR" in done.out
    assert "not confirmed" in one_line(done.err)
    assert rpc(stack.rpc_url, "eth_getTransactionCount", [sender, "latest"]) == before


def test_local_faucet_mints_test_euros(stack: Stack) -> None:
    recipient = stack.account(99)["address"]
    minted = stack.cmir("faucet", "125", "--to", recipient, *stack.signer(98), "--yes")
    assert minted.code == 0, minted.text
    assert f"About to mint 125.00 tEUR to {recipient}" in minted.out
    assert "TestEuro.mint" in minted.out


def test_console_script_module_matches() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "[project.scripts]" in pyproject


def _accounts(stack: Stack, **wanted: Any) -> list[dict[str, Any]]:
    return [a for a in stack.accounts["accounts"] if all(a.get(k) == v for k, v in wanted.items())]


def test_accept_names_its_sponsor_and_kind(stack: Stack) -> None:
    invitee = stack.account(97)
    first, second = stack.account(1), stack.account(2)
    for index, kind in ((1, "Abeille"), (2, "Pilote")):
        sent = stack.cmir(
            "member", "invite", invitee["address"], "--kind", kind, *stack.signer(index), "--yes"
        )
        assert sent.code == 0, sent.text
        assert "invitations: 3 available now, at the cap of 3" in sent.out  # the founders kept theirs
        assert "invitations: 2 available now, the next accrues" in sent.out
    shown = stack.cmir("member", "show", invitee["address"])
    assert f"pending from {first['address']} as Abeille until" in shown.out, shown.text
    assert f"pending from {second['address']} as Pilote until" in shown.out, shown.text
    # Two members invited it: accepting must name which.
    ambiguous = stack.cmir("member", "accept", *stack.signer(97), "--yes")
    assert ambiguous.code == 2, ambiguous.text
    line = one_line(ambiguous.err)
    assert f"2 live invitations for {invitee['address']}" in line
    assert f"from {first['address']} as Abeille" in line and f"from {second['address']} as Pilote" in line
    assert "choose one with --sponsor" in line
    # The kind named must be the invitation's.
    wrong = stack.cmir(
        "member", "accept", "--sponsor", second["address"], "--kind", "abeille", *stack.signer(97), "--yes"
    )
    assert wrong.code == 1, wrong.text
    assert "MembershipInvitationKindMismatch" in one_line(wrong.err)
    assert "invited=Pilote, expected=Abeille" in wrong.err
    accepted = stack.cmir("member", "accept", "--sponsor", second["address"], *stack.signer(97), "--yes")
    assert accepted.code == 0, accepted.text
    assert f"sponsor {second['address']}, kind Pilote" in accepted.out
    assert "Membership.acceptInvitation" in accepted.out
    member = stack.cmir("member", "show", invitee["address"])
    assert f"sponsor      {second['address']}" in member.out and "Pilote" in member.out, member.text
    assert "votes        0: in probation until" in member.out
    assert "invitations  0 available now, the next accrues" in member.out
    # The first sponsor's invitation can no longer be used: it is not listed as pending.
    sponsor = stack.cmir("member", "show", first["address"])
    assert invitee["address"] not in sponsor.out, sponsor.text
    assert "votes        1 (probation over since" in sponsor.out


def test_a_member_in_probation_cannot_invite_or_propose(stack: Stack) -> None:
    newcomer = next(
        a for a in _accounts(stack, role="member", excluded=False) if a["votes_from"] > time.time()
    )
    index = int(newcomer["index"])
    invited = stack.cmir(
        "member", "invite", stack.account(98)["address"], "--kind", "Abeille", *stack.signer(index), "--yes"
    )
    assert invited.code == 1, invited.text
    line = one_line(invited.err)
    assert f"would revert: MembershipInProbation(member={newcomer['address'].lower()}, votesFrom=" in line
    assert "is in probation until `votesFrom`: it cannot invite yet." in line
    proposed = stack.cmir("dao", "propose-shares", "4500", "3500", "2000", *stack.signer(index), "--yes")
    assert proposed.code == 1, proposed.text
    assert f"{newcomer['address']} is in probation until" in one_line(proposed.err)
    shown = stack.cmir("member", "show", newcomer["address"])
    assert "votes        0: in probation until" in shown.out, shown.text


def test_the_steward_spends_within_its_budget(stack: Stack) -> None:
    budget = NetworkSettings.for_network("demo").collective_budget
    supplier = stack.account(91)["address"]
    over = f"{budget / 10**6 + 0.01:.2f}"
    done = stack.cmir(
        "collective", "spend", supplier, over, "--memo", "au-delà du budget", *stack.signer(0), "--yes"
    )
    assert done.code == 1, done.text
    assert "tEUR of the budget is left until" in done.out  # said before the revert
    line = one_line(done.err)
    # amounts in euros, as the CLI shows them everywhere
    assert f"would revert: RedistributionCollectiveBudgetExceeded(requested={over} tEUR, left=" in line
    assert "of this period's budget remains, until `periodEndsAt`." in line


def test_the_guardian_cancels_with_a_reason(stack: Stack) -> None:
    accounts = _accounts(stack, role="guardian")
    guardian = int(accounts[0]["index"])
    record = json.loads(stack.deployment.read_text())
    assert record["contracts"]["governor"]["abi"], "the record keeps the ABIs"
    proposed = stack.cmir(
        "dao",
        "propose-grace-period",
        "10d",
        "-d",
        "E2E : un délai de grâce de dix jours",
        *stack.signer(1),
        "--yes",
    )
    assert proposed.code == 0, proposed.text
    assert "bound to its proposer" in proposed.out
    number = proposed.out.split("proposal n°")[1].split(",")[0]
    reason = "E2E : le conseil de surveillance demande d'attendre l'assemblée annuelle."
    refused = stack.cmir("dao", "guardian-cancel", number, "--reason", "non", *stack.signer(1), "--yes")
    assert refused.code == 1 and "CmirGovernorNotGuardian" in one_line(refused.err), refused.text
    canceled = stack.cmir(
        "dao", "guardian-cancel", number, "--reason", reason, *stack.signer(guardian), "--yes"
    )
    assert canceled.code == 0, canceled.text
    assert f"reason: {reason}" in canceled.out
    listed = stack.cmir("dao", "proposals", "--state", "canceled")
    assert listed.code == 0, listed.text
    assert f"n°{number} canceled by the guardian {accounts[0]['address']}: « {reason} »" in listed.out
    assert GUARDIAN_REASON in listed.out  # the demo's own cancellation
    # The same proposal again is worded anew: a cancelled id can never be proposed twice.
    again = stack.cmir(
        "dao",
        "propose-grace-period",
        "10d",
        "-d",
        "E2E : un délai de grâce de dix jours",
        *stack.signer(1),
        "--yes",
    )
    assert again.code == 0, again.text
    assert "worded as révision 1" in again.out


def test_an_expired_approval_is_shown_and_refused(stack: Stack) -> None:
    listed = stack.cmir("dao", "proposals", "--state", "expired")
    assert listed.code == 0, listed.text
    assert "expired (expirée)" in listed.out
    note = next(line for line in listed.out.splitlines() if "expired at" in line)
    assert "adopted, but not queued within the grace period" in note
    number = note.split()[0].lstrip("n°")
    queued = stack.cmir("dao", "queue", number, *stack.signer(1), "--yes")
    assert queued.code == 1, queued.text
    line = one_line(queued.err)
    assert "GovernorUnexpectedProposalState(" in line and "current=Expired" in line
    assert line.endswith(EXPIRED_MEANING)
