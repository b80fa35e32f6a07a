"""What a newcomer tripped on, following the README with `make up` running: how to reach `cmir`,
`cmir index status` finding the stack's database (and creating none), `cmir deploy` refusing
to replace the live record, a defeated proposal saying why it lost, `propose-shares` proposing
the shares it is given, the README's example project being the one it names, a negative amount
refused as an amount, a fee below the minimum shown in euros, and the README's voter
walkthrough working as pasted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from web3 import Web3

from cmir.apps.cli.parsing import show_units
from cmir.chain.reverts import explain
from cmir.dev.devchain import rpc
from tests.e2e.helpers import ROOT, Stack, cmir

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
#: The variables a newcomer's shell does not have (the tests' own environment may).
UNSET = ("CMIR_DATABASE_URL", "CMIR_STATE_DIR", "CMIR_PROJECT_DIR", "CMIR_RPC_URL")


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def _env(stack: Stack, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in stack.env().items() if key not in UNSET}
    return {**env, **extra}


def _governor(stack: Stack) -> tuple[Any, list[int]]:
    """The Governor (web3) and every proposal id, in the order `cmir dao proposals` numbers them."""
    record = json.loads(stack.deployment.read_text())
    w3 = Web3(Web3.HTTPProvider(stack.rpc_url))
    entry = record["contracts"]["governor"]
    governor = w3.eth.contract(address=entry["address"], abi=entry["abi"])
    logs = governor.events.ProposalCreated().get_logs(from_block=int(record["deployment_block"]))
    return governor, [int(log["args"]["proposalId"]) for log in logs]


def _pool(stack: Stack) -> Any:
    record = json.loads(stack.deployment.read_text())
    entry = record["contracts"]["pool"]
    return Web3(Web3.HTTPProvider(stack.rpc_url)).eth.contract(address=entry["address"], abi=entry["abi"])


# -------------------------------------------------------------------- `cmir` on the PATH


def test_make_up_and_the_readme_say_how_to_run_cmir(stack: Stack) -> None:
    line = next(line for line in stack.output if line.startswith("  cmir "))
    assert ".venv/bin/cmir" in line and "`. .venv/bin/activate` first" in line, line
    quick_start = README.read_text().split("## Walkthroughs")[0]
    assert ". .venv/bin/activate" in quick_start and ".venv/bin/cmir" in quick_start


# -------------------------------------------------------------------- the stack's database


def test_index_status_finds_the_stacks_database(stack: Stack) -> None:
    done = cmir(
        "index",
        "status",
        "--json",
        env=_env(stack, CMIR_STATE_DIR=str(stack.state), CMIR_RPC_URL=stack.rpc_url),
    )
    assert done.code == 0, done.text
    report = json.loads(done.out)
    assert report["database"] == f"sqlite:///{stack.state / 'index.sqlite3'}"
    assert report["checkpoint"] is not None and report["rows"]["raw_events"] > 1000, report


def test_index_status_without_a_database_creates_none(stack: Stack, tmp_path: Path) -> None:
    checkout, state = tmp_path / "checkout", tmp_path / "state"
    checkout.mkdir()
    env = _env(stack, CMIR_PROJECT_DIR=str(checkout), CMIR_STATE_DIR=str(state))
    done = cmir("index", "status", "--offline", env=env)
    assert done.code == 1, done.text
    line = one_line(done.err)
    assert line.startswith("error: no index database:"), line
    assert str(state / "index.sqlite3") in line and "make up" in line and "--database-url" in line
    assert not (checkout / "cmir-index.sqlite3").exists() and not state.exists()


# -------------------------------------------------------------------- deploy over a live record


def test_deploy_refuses_to_replace_the_live_record(stack: Stack, tmp_path: Path) -> None:
    before = stack.deployment.read_bytes()
    refused = stack.cmir("deploy", "--network", "ethereum:local:foundry", "--yes")
    assert refused.code == 1, refused.text
    line = one_line(refused.err)
    assert f"{stack.deployment} records a live deployment" in line, line
    assert "--out PATH" in line and "--force" in line
    assert "About to deploy" not in refused.out
    assert stack.deployment.read_bytes() == before
    # Elsewhere, the same deployment goes ahead; the stack's record stays.
    elsewhere = tmp_path / "second.json"
    made = stack.cmir("deploy", "--network", "ethereum:local:foundry", "--out", str(elsewhere), "--yes")
    assert made.code == 0, made.text
    assert f"record: {elsewhere}" in made.out
    assert (
        json.loads(elsewhere.read_text())["contracts"]["pool"]["address"]
        != json.loads(before)["contracts"]["pool"]["address"]
    )
    assert stack.deployment.read_bytes() == before


# -------------------------------------------------------------------- a defeated proposal


def test_queue_and_execute_say_why_a_proposal_was_defeated(stack: Stack) -> None:
    governor, ids = _governor(stack)
    defeated = [
        number for number, pid in enumerate(ids, start=1) if governor.functions.state(pid).call() == 3
    ]
    reasons = set()
    for number in defeated:
        pid = ids[number - 1]
        against, for_, abstain = governor.functions.proposalVotes(pid).call()
        quorum = governor.functions.quorum(governor.functions.proposalSnapshot(pid).call()).call()
        for step in ("queue", "execute"):
            done = stack.cmir("dao", step, str(number), *stack.signer(1), "--yes")
            assert done.code == 1, done.text
            line = one_line(done.err)
            assert "GovernorUnexpectedProposalState" not in line, line
            assert f"proposal n°{number} was defeated" in line, line
            if for_ + abstain < quorum:
                assert f"quorum not reached: {for_ + abstain} of {quorum}" in line, line
                reasons.add("quorum")
            else:
                assert f"more votes against: {against} against, {for_} for" in line, line
                reasons.add("against")
    assert reasons == {"quorum", "against"}  # the demo has one of each


# -------------------------------------------------------------------- propose-shares


def test_propose_shares_proposes_the_shares_given(stack: Stack) -> None:
    pool = _pool(stack)
    current = tuple(pool.functions.shares().call())
    wanted = (5000, 3000, 2000)
    assert current != wanted, current
    done = stack.cmir("dao", "propose-shares", *map(str, wanted), *stack.signer(2), "--yes")
    assert done.code == 0, done.text
    assert f"shares now: members {current[0]}, ESS {current[1]}, collective {current[2]} bps" in done.out
    pid = int(done.out.split(", id ")[1].split()[0])
    governor, _ = _governor(stack)
    created = [
        log
        for log in governor.events.ProposalCreated().get_logs(from_block="earliest")
        if int(log["args"]["proposalId"]) == pid
    ]
    (event,) = created
    assert list(event["args"]["targets"]) == [pool.address]
    function, arguments = pool.decode_function_input(event["args"]["calldatas"][0])
    assert function.fn_name == "setShares"
    assert arguments == {"newShares": {"membersBps": 5000, "essBps": 3000, "collectiveBps": 2000}}
    # The shares in force now: a proposal that would change nothing is refused.
    same = stack.cmir("dao", "propose-shares", *map(str, current), *stack.signer(2), "--yes")
    assert same.code == 2, same.text
    assert f"the shares are already {current[0]}/{current[1]}/{current[2]} bps" in one_line(same.err)


# -------------------------------------------------------------------- the README's example project


def _voter_walkthrough() -> str:
    section = README.read_text().split("### A voter", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readmes_example_project_is_the_one_it_names(stack: Stack) -> None:
    line = next(line for line in _voter_walkthrough().splitlines() if "propose-funding" in line)
    match = re.search(r"propose-funding (\d+) \S+ -d \"([^\"]+)\"", line)
    assert match, line
    number, description = int(match.group(1)), match.group(2).lower()
    (document,) = (stack.state / "metadata" / "ess").glob(f"{number:02d}-*.json")
    name = json.loads(document.read_text())["name"]  # e.g. "Recyclerie de quartier — Strasbourg"
    what, city = name.split(" — ")
    assert what.lower() in description and city.lower() in description, (name, description)


# -------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    "args",
    [
        ["member", "pay", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "-5", "--ref", "X", "--yes"],
        ["collective", "spend", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "-2,50", "--memo", "x"],
        ["dao", "propose-funding", "3", "-100", "-d", "moins"],
        ["dao", "propose-collective-budget", "-100", "30d"],
        ["faucet", "-5"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_negative_amount_is_refused_as_an_amount(args: list[str]) -> None:
    done = cmir(*args)
    assert done.code == 2, done.text
    amount = next(word for word in args if word.startswith("-") and word[1:2].isdigit())
    assert one_line(done.err) == f"error: amount must be positive, got {amount!r}"


def test_a_value_starting_with_a_dash_is_still_an_options_value() -> None:
    done = cmir("member", "pay", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "5", "--ref", "-5", "--yes")
    assert done.code != 0, done.text
    line = one_line(done.err)  # past the parsing (no chain answers here): --ref took "-5"
    assert "amount" not in line and "No such option" not in line and "--ref" not in line, line


def test_fee_errors_show_euros() -> None:
    abi = [
        {
            "type": "error",
            "name": "RedistributionFeeBelowMinimum",
            "inputs": [{"name": "amount", "type": "uint256"}, {"name": "minimum", "type": "uint256"}],
        }
    ]
    data = (
        "0x"
        + (
            Web3.keccak(text="RedistributionFeeBelowMinimum(uint256,uint256)")[:4]
            + (10_000).to_bytes(32, "big")
            + (10_000_000).to_bytes(32, "big")
        ).hex()
    )
    sentence = explain(data, [abi], lambda units: show_units(units, 6, "tEUR"))
    assert sentence.startswith("RedistributionFeeBelowMinimum(amount=0.01 tEUR, minimum=10.00 tEUR): ")
    assert explain(data, [abi]).startswith("RedistributionFeeBelowMinimum(amount=10000, minimum=10000000)")


@pytest.mark.parametrize(
    ("signature", "names", "values", "shown"),
    [
        (
            "RedistributionInsufficientFunds(uint256,uint256)",
            ("requested", "available"),
            (1_500_000_000, 250_500_000),
            "requested=1500.00 tEUR, available=250.50 tEUR",
        ),
        (
            "RedistributionCollectiveBudgetExceeded(uint256,uint256,uint256)",
            ("requested", "left", "periodEndsAt"),
            (450_000_000, 120_000_000, 0),
            "requested=450.00 tEUR, left=120.00 tEUR, periodEndsAt=0",
        ),
        (
            "ERC20InsufficientBalance(address,uint256,uint256)",
            ("sender", "balance", "needed"),
            (0x3C44CDDDB6A900FA2B585DD299E03D12FA4293BC, 5_000_000, 25_500_000),
            "sender=0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc, balance=5.00 tEUR, needed=25.50 tEUR",
        ),
    ],
    ids=["insufficient-funds", "budget-exceeded", "token-balance"],
)
def test_amounts_in_other_errors_show_euros(
    signature: str, names: tuple[str, ...], values: tuple[int, ...], shown: str
) -> None:
    name, _, types = signature.partition("(")
    kinds = types.rstrip(")").split(",")
    abi = [
        {
            "type": "error",
            "name": name,
            "inputs": [{"name": n, "type": t} for n, t in zip(names, kinds, strict=True)],
        }
    ]
    data = "0x" + (Web3.keccak(text=signature)[:4] + b"".join(v.to_bytes(32, "big") for v in values)).hex()
    sentence = explain(data, [abi], lambda units: show_units(units, 6, "tEUR"))
    assert sentence.startswith(f"{name}({shown}): "), sentence


def test_a_fee_below_the_minimum_is_explained_in_euros(stack: Stack) -> None:
    done = stack.cmir(
        "member", "pay", stack.account(3)["address"], "0.01", "--ref", "UN-CENTIME", *stack.signer(1), "--yes"
    )
    assert done.code == 1, done.text
    line = one_line(done.err)
    assert "RedistributionFeeBelowMinimum(amount=0.01 tEUR, minimum=10.00 tEUR)" in line, line


def test_an_ape_account_imported_from_a_plain_shell_signs(stack: Stack, tmp_path: Path) -> None:
    """The README's Ape-account path: `ape accounts import abeille` from a shell without the
    Makefile's APE_DATA_FOLDER writes Ape's default ~/.ape/accounts/abeille.json (written here as
    Ape writes it); `--account abeille` then finds and decrypts it (the payment below the minimum
    fee fails on chain, after signing, with nothing sent)."""
    demo = stack.account(1)
    keyfile = json.loads(Path(demo["keyfile"]).read_text())
    home = tmp_path / "home"
    (home / ".ape" / "accounts").mkdir(parents=True)
    (home / ".ape" / "accounts" / "abeille.json").write_text(json.dumps(keyfile))
    env = {key: value for key, value in _env(stack, HOME=str(home)).items() if key != "APE_DATA_FOLDER"}
    args = ["member", "pay", stack.account(3)["address"], "0.01", "--ref", "UN-CENTIME", "--yes"]
    signing = [*args, "--account", "abeille", "--password-file", stack.accounts["password_file"]]
    done = cmir(*signing, env=env)
    assert done.code == 1, done.text
    assert "RedistributionFeeBelowMinimum" in one_line(done.err), done.text
    unknown = cmir(
        *args, "--account", "personne", "--password-file", stack.accounts["password_file"], env=env
    )
    assert unknown.code == 2, unknown.text
    assert "no Ape account 'personne' (known: abeille" in one_line(unknown.err), unknown.text


# -------------------------------------------------------------------- the voter walkthrough


#: `cmir` as the README's shell has it, answering the question of each transaction (`--yes`),
#: as the reader does at the prompt.
SHELL_CMIR = """
cmir() {
  local yes=()
  case "$1 ${2:-}" in "dao propose-"*|"dao vote"|"dao queue"|"dao execute") yes=(--yes);; esac
  "$PYTHON" -m cmir.apps.cli "$@" "${yes[@]}"
}
"""


def test_the_readmes_voter_walkthrough_works_as_pasted(stack: Stack) -> None:
    block = _voter_walkthrough()
    _, ids = _governor(stack)
    # The README counts on a fresh `make up` (21 proposals, the new one n°22); earlier tests of
    # this session made more.
    number = len(ids) + 1
    script = re.sub(r"\b22\b", str(number), block)
    keyfiles = Path(stack.accounts["password_file"]).parent
    bash = shutil.which("bash")
    assert bash is not None
    snapshot = rpc(stack.rpc_url, "evm_snapshot")
    try:
        done = subprocess.run(  # noqa: S603 - bash running the README's own lines
            [
                bash,
                "-euo",
                "pipefail",
                "-c",
                SHELL_CMIR + f'K="{keyfiles}"; PW="--password-file $K/password.txt"\n' + script,
            ],
            cwd=ROOT,
            env={**_env(stack), "PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-4000:])
        governor, ids = _governor(stack)
        assert governor.functions.state(ids[number - 1]).call() == 7  # executed
        assert len(ids) == number + 3  # then shares, reward cap and epoch length proposed
    finally:
        # The chain as it was (its clock too), for the tests after this one.
        assert rpc(stack.rpc_url, "evm_revert", [snapshot]) is True
        rpc(stack.rpc_url, "evm_mine")
    _mirror_after_revert(stack)


def _mirror_after_revert(stack: Stack) -> None:
    """Until the indexer has rolled back what the revert took away and the API shows the head."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        head = int(rpc(stack.rpc_url, "eth_blockNumber"), 16)
        health = requests.get(f"{stack.api_url}/api/v1/health", timeout=10).json()
        if (health["indexer"]["checkpoint_block"] or 0) <= head:
            break
        time.sleep(0.3)
    rpc(stack.rpc_url, "evm_mine")
    stack.wait_mirrored()
