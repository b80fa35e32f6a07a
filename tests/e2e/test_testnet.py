"""A testnet deployment rehearsed on a local anvil addressed as a separate named network
(`ethereum:cmir-testnet`, chain id 31338, an Ape custom network in ape-config.yaml), through the
same commands an operator and members use on Sepolia: `cmir deploy` with a keyfile (the token is
TestnetEuro, whose faucet gives each account at most 10,000 tEUR a day), member and voter commands
with a keyfile and with an Ape keystore account, and the auditor."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from cmir.chain.deploy import NetworkSettings
from cmir.dev.devchain import free_port, rpc
from tests.e2e.helpers import ROOT, base_env, cmir

pytestmark = pytest.mark.e2e

NETWORK = "ethereum:cmir-testnet:node"
PASSWORD = "mot de passe de test"  # noqa: S105


@pytest.fixture
def testnet(tmp_path: Path) -> Iterator[str]:
    """anvil with chain id 31338 on a free port."""
    port = free_port()
    binary = shutil.which("anvil", path=base_env()["PATH"]) or str(ROOT / "node_modules" / ".bin" / "anvil")
    process = subprocess.Popen(  # noqa: S603 - anvil from npm
        [binary, "--port", str(port), "--chain-id", "31338", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # until anvil answers
            try:
                rpc(url, "eth_chainId")
                break
            except Exception:
                assert process.poll() is None, f"anvil exited with code {process.returncode}"
                assert time.monotonic() < deadline, "anvil did not answer within 60 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_deploy_and_use_a_named_network(testnet: str, tmp_path: Path) -> None:
    Account.enable_unaudited_hdwallet_features()
    mnemonic = "test test test test test test test test test test test junk"
    keys = [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(5)]
    keyfiles = []
    for index, key in enumerate(keys):
        path = tmp_path / f"key{index}.json"
        path.write_text(json.dumps(Account.encrypt(key.key, PASSWORD, kdf="pbkdf2", iterations=2048)))
        keyfiles.append(path)
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    record = tmp_path / "cmir-testnet.json"
    target = ["--network", NETWORK, "--rpc-url", testnet, "--deployment", str(record)]

    def signer(index: int) -> list[str]:
        return ["--keyfile", str(keyfiles[index]), "--password-file", str(password)]

    deployed = cmir(
        "deploy",
        *target,
        *signer(0),
        "--founder",
        f"{keys[1].address}:Pilote",
        "--founder",
        f"{keys[2].address}:Abeille",
        "--founder",
        f"{keys[3].address}:EssStructure",
        "--guardian",
        keys[0].address,
        "--yes",
    )
    assert deployed.code == 0, deployed.text
    assert f"guardian: {keys[0].address}" in deployed.out
    assert "admission: probation 1 min, one invitation per 1 min (at most 10), valid 1 h" in deployed.out
    assert "on ethereum:cmir-testnet:node (chain id 31338)" in deployed.out
    assert "settings: ethereum:cmir-testnet" in deployed.out
    assert "token: a new TestnetEuro" in deployed.out and "points: epochs of 1 min" in deployed.out
    saved = json.loads(record.read_text())
    assert saved["network"] == "ethereum:cmir-testnet" and saved["chain_id"] == 31338
    assert set(saved["contracts"]) == {
        "token",
        "timelock",
        "membership",
        "registry",
        "pool",
        "governor",
        "forwarder",
    }
    assert saved["contracts"]["token"]["contract"] == "TestnetEuro"

    # An Ape keystore account (what `ape accounts import` writes), in a throwaway data folder.
    ape_data = tmp_path / "ape-data"
    (ape_data / "accounts").mkdir(parents=True)
    (ape_data / "accounts" / "abeille-test.json").write_text(
        json.dumps(Account.encrypt(keys[2].key, PASSWORD, kdf="pbkdf2", iterations=2048))
    )
    ape_env = {**base_env(), "APE_DATA_FOLDER": str(ape_data)}

    # TestnetEuro's faucet: the caller takes test euros for itself, within its daily allowance.
    minted = cmir("faucet", "300", *target, *signer(2), "--yes")
    assert minted.code == 0, minted.text
    assert "take 300.00 tEUR from the TestnetEuro faucet" in minted.out
    assert "left today after this: 9700.00 tEUR of 10000.00 tEUR" in minted.out
    greedy = cmir("faucet", "9800", *target, *signer(2), "--yes")
    assert greedy.code == 1, greedy.text
    assert "at most 10000.00 tEUR per account per day" in greedy.err
    assert f"{keys[2].address} may take 9700.00 tEUR more today" in greedy.err
    elsewhere = cmir("faucet", "10", "--to", keys[3].address, *target, *signer(1), "--yes")
    assert elsewhere.code == 2 and "pays the account that calls it" in elsewhere.err, elsewhere.text
    paid = cmir(
        "member",
        "pay",
        keys[1].address,
        "20",
        "--ref",
        "TESTNET-0001",
        *target,
        "--account",
        "abeille-test",
        "--password-file",
        str(password),
        "--yes",
        env=ape_env,
    )
    assert paid.code == 0, paid.text
    assert "permit" in paid.out and "gas used" in paid.out
    unknown = cmir(
        "member",
        "claim",
        *target,
        "--account",
        "personne",
        "--password-file",
        str(password),
        "--yes",
        env=ape_env,
    )
    assert unknown.code == 2 and "no Ape account 'personne'" in unknown.err

    invited = cmir("member", "invite", keys[4].address, "--kind", "abeille", *target, *signer(1), "--yes")
    assert invited.code == 0, invited.text
    shown = cmir("member", "show", keys[4].address, *target)
    assert "pending from" in shown.out, shown.text
    proposed = cmir("dao", "propose-shares", "4000", "4000", "2000", *target, *signer(1), "--yes")
    assert proposed.code == 0, proposed.text
    # The guardian named at deployment cancels it, giving a reason.
    reason = "Le conseil de surveillance préfère attendre le bilan annuel."
    canceled = cmir("dao", "guardian-cancel", "1", "--reason", reason, *target, *signer(0), "--yes")
    assert canceled.code == 0, canceled.text

    # Governance raises the reward cap to what a point costs with members at 50 % (5,000 bps)...
    cap = NetworkSettings.for_network("ethereum:cmir-testnet").epoch_reward_cap_bps
    assert cap < 5000
    raised = cmir("dao", "propose-reward-cap", "5000", *target, *signer(1), "--yes")
    assert raised.code == 0, raised.text
    assert f"the cap is {cap} bps now; at most 5000 bps" in raised.out
    number = raised.out.split("proposal n°")[1].split(",")[0]
    assert cmir("dev", "travel", "2m", *target).code == 0  # the voting delay, 1 min
    for index in (1, 2, 3):
        voted = cmir("dao", "vote", number, "for", *target, *signer(index), "--yes")
        assert voted.code == 0, voted.text
    assert cmir("dev", "travel", "11m", *target).code == 0  # the voting period, 10 min
    assert cmir("dao", "queue", number, *target, *signer(2), "--yes").code == 0
    assert cmir("dev", "travel", "3m", *target).code == 0  # the timelock, 2 min
    executed = cmir("dao", "execute", number, *target, *signer(2), "--yes")
    assert executed.code == 0, executed.text
    # ... so shares giving members 60 % would make a point cost 40 % of a unit, less than the
    # cap: a proposal that could never execute, refused before anyone votes on it.
    dear = cmir("dao", "propose-shares", "6000", "2000", "2000", *target, *signer(1), "--yes")
    assert dear.code == 2, dear.text
    assert "would fail when executed: RedistributionRewardCapAboveMax(capBps=5000, maxBps=4000)" in dear.err
    listed = cmir("dao", "proposals", *target)
    assert "2 proposal(s)" in listed.out, listed.text
    assert "canceled (annulée : gardien)" in listed.out and "executed" in listed.out, listed.text
    assert f"n°1 canceled by the guardian {keys[0].address}: « {reason} »" in listed.out

    audit = cmir("audit", "--rpc", testnet, "--deployment", str(record))
    assert audit.code == 0, audit.text[-2000:]
    assert "RECONCILED" in audit.out
