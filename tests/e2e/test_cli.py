"""The `cmir` command line: help everywhere, a revert explained in one sentence with a non-zero
exit, bad input refused in one line with a non-zero exit, nothing sent without confirmation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, Stack, cmir, free_port, rpc
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from cmir.cli.reverts import BUILD_MANIFEST, DOCS_FILE, docs_from_manifest, error_table, explain
from cmir.deployment import NetworkSettings

COMMANDS = [
    [],
    ["member"],
    ["member", "invite"],
    ["member", "join"],
    ["member", "show"],
    ["member", "pay"],
    ["member", "claim"],
    ["member", "rewards"],
    ["dao"],
    ["dao", "propose-funding"],
    ["dao", "propose-shares"],
    ["dao", "propose-epoch-length"],
    ["dao", "propose-reward-cap"],
    ["dao", "propose-parties-min-share"],
    ["dao", "vote"],
    ["dao", "queue"],
    ["dao", "execute"],
    ["dao", "proposals"],
    ["collective"],
    ["collective", "spend"],
    ["deploy"],
    ["serve"],
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


def test_error_table_matches_the_build() -> None:
    if not BUILD_MANIFEST.exists():
        pytest.skip("project not compiled")
    assert json.loads(DOCS_FILE.read_text()) == docs_from_manifest(), "run `python -m cmir.cli.reverts`"


def test_every_error_of_the_pool_and_the_testnet_token_is_one_sentence() -> None:
    if not BUILD_MANIFEST.exists():
        pytest.skip("project not compiled")
    types = json.loads(BUILD_MANIFEST.read_text())["contractTypes"]
    abis = [types["Redistribution"]["abi"], types["TestnetEuro"]["abi"]]
    own = [
        entry
        for entry in error_table(abis).values()
        if entry["name"].startswith(("Redistribution", "TestnetEuro"))
    ]
    assert any(entry["name"] == "TestnetEuroDailyAllowanceExceeded" for entry in own)
    assert any(entry["name"] == "RedistributionRewardCapAboveMax" for entry in own)
    for entry in own:
        types_ = [i["type"] for i in entry["inputs"]]
        samples = {"address": "0x" + "11" * 20, "bool": True, "bytes32": b"\1" * 32}
        values = [samples.get(t, 7) for t in types_]
        data = keccak(text=entry["signature"])[:4] + encode(types_, values)
        sentence = explain(data, abis)
        assert sentence.startswith(entry["name"] + "("), sentence
        meaning = sentence.split("): ", 1)[1]
        assert meaning != "no description in the contracts' NatSpec.", entry["signature"]
        assert meaning.endswith(".") and meaning.count(". ") == 0, sentence


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
    assert "would revert: RedistributionFeeBelowMinimum(amount=5000000, minimum=10000000)" in line
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
