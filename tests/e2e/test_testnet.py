"""A testnet deployment rehearsed on a local anvil addressed as a separate named network
(`ethereum:cmir-testnet`, chain id 31338, an Ape custom network in ape-config.yaml), through the
same commands an operator and members use on Sepolia: `cmir deploy` with a keyfile, member and
voter commands with a keyfile and with an Ape keystore account, and the auditor."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, base_env, cmir, free_port, rpc
from eth_account import Account

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
        for _ in range(100):
            try:
                rpc(url, "eth_chainId")
                break
            except Exception:
                import time

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
        "--yes",
    )
    assert deployed.code == 0, deployed.text
    assert "on ethereum:cmir-testnet:node (chain id 31338)" in deployed.out
    assert "settings: ethereum:cmir-testnet" in deployed.out
    saved = json.loads(record.read_text())
    assert saved["network"] == "ethereum:cmir-testnet" and saved["chain_id"] == 31338
    assert set(saved["contracts"]) == {"token", "timelock", "membership", "registry", "pool", "governor"}

    # An Ape keystore account (what `ape accounts import` writes), in a throwaway data folder.
    ape_data = tmp_path / "ape-data"
    (ape_data / "accounts").mkdir(parents=True)
    (ape_data / "accounts" / "abeille-test.json").write_text(
        json.dumps(Account.encrypt(keys[2].key, PASSWORD, kdf="pbkdf2", iterations=2048))
    )
    ape_env = {**base_env(), "APE_DATA_FOLDER": str(ape_data)}

    minted = cmir("faucet", "300", "--to", keys[2].address, *target, *signer(1), "--yes")
    assert minted.code == 0, minted.text
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
    listed = cmir("dao", "proposals", *target)
    assert "pending" in listed.out and "1 proposal(s)" in listed.out, listed.text

    audit = cmir("audit", "--rpc", testnet, "--deployment", str(record))
    assert audit.code == 0, audit.text[-2000:]
    assert "RECONCILED" in audit.out
