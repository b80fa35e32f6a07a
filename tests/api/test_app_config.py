"""The members' app's configuration (``/api/v1/app/config``) and its page (``/app/``): the
contracts and ABIs it calls, the revert meanings it shares with the CLI, and the demo wallet,
served only when the setting is on AND the chain is a local dev chain."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cmir.api.app import create_app
from cmir.api.chain import ChainReader
from cmir.api.errors import ChainReadError
from cmir.api.services.app_config import is_local_dev_chain, revert_meanings
from cmir.chain.deployment import load_deployment
from tests.api.helpers import World, get

ROOT = Path(__file__).resolve().parents[2]
#: anvil's first public dev key (the demo's operator): public, for local chains only.
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def demo_file(tmp_path: Path) -> Path:
    """A demo-accounts.json with one account, as the demo writes it."""
    path = tmp_path / "demo-accounts.json"
    account = {"address": ANVIL_ADDRESS, "name": "Opérateur", "role": "operator", "kind": None}
    path.write_text(json.dumps({"accounts": [{**account, "private_key": ANVIL_KEY}]}))
    return path


def config_of(world: World, **overrides: Any) -> dict[str, Any]:
    """The configuration an API with these settings serves."""
    with TestClient(create_app(world.settings(**overrides))) as client:
        body: dict[str, Any] = get(client, "/app/config")
        return body


def test_config_names_contracts_token_and_meanings(client: TestClient, world: World) -> None:
    """Chain id, RPC URL, each contract the app calls with its ABI, the token's units, the
    revert meanings of the CLI; no demo wallet by default."""
    body = get(client, "/app/config")
    assert (
        body["chain_id"] == world.dao.chain_id
        if hasattr(world.dao, "chain_id")
        else body["chain_id"] == 31337
    )
    assert body["rpc_url"] == world.dao.url
    for role in ("token", "membership", "pool", "registry", "governor"):
        contract = body["contracts"][role]
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", contract["address"])
        assert any(entry.get("type") == "function" for entry in contract["abi"])
    functions = {e["name"] for e in body["contracts"]["pool"]["abi"] if e.get("type") == "function"}
    assert {"payRelationWithPermit", "claim", "claimableOf", "memberPoints"} <= functions
    assert body["token"]["symbol"] and body["token"]["decimals"] >= 0
    assert (
        body["errors"]["RedistributionNothingToClaim(address)"]
        == revert_meanings()["RedistributionNothingToClaim(address)"]
    )
    assert body["demo_accounts"] is None
    assert isinstance(body["relayer"], bool)


def test_demo_wallet_served_on_a_local_chain_when_on(world: World, tmp_path: Path) -> None:
    """Setting on and anvil (chain id 31337): the demo's accounts and their public test keys."""
    body = config_of(world, app_demo_wallet=True, demo_accounts=demo_file(tmp_path))
    assert body["demo_accounts"] == [
        {
            "address": ANVIL_ADDRESS,
            "name": "Opérateur",
            "role": "operator",
            "kind": None,
            "private_key": ANVIL_KEY,
        }
    ]


def test_demo_wallet_absent_when_off(world: World, tmp_path: Path) -> None:
    """The file is there and the chain is local, but the setting is off: no keys."""
    assert config_of(world, app_demo_wallet=False, demo_accounts=demo_file(tmp_path))["demo_accounts"] is None


def test_demo_wallet_absent_when_the_chain_is_not_known_local(world: World, tmp_path: Path) -> None:
    """Setting on, but the node cannot be read (so nobody can say it is a dev chain): no keys."""
    body = config_of(
        world, app_demo_wallet=True, demo_accounts=demo_file(tmp_path), rpc_url="http://127.0.0.1:9"
    )
    assert body["demo_accounts"] is None


class FakeNode(ChainReader):
    """A node answering a given chain id, and `anvil_nodeInfo` or not."""

    def __init__(self, chain_id: int, anvil: bool) -> None:  # no HTTP client: nothing is sent
        self.chain_id, self.anvil = chain_id, anvil

    def batch(self, requests: Any) -> list[Any]:
        """Answer eth_chainId and anvil_nodeInfo as the node would."""
        ((method, _params),) = requests
        if method == "eth_chainId":
            return [hex(self.chain_id)]
        if method == "anvil_nodeInfo" and self.anvil:
            return [{"currentBlockNumber": 1}]
        raise ChainReadError(f"{method} failed: method not found")


def test_local_dev_chain_is_31337_or_anvil() -> None:
    """Chain id 31337, or any chain id on a node answering anvil_nodeInfo; never a public chain."""
    assert is_local_dev_chain(FakeNode(31337, anvil=False))
    assert is_local_dev_chain(FakeNode(11155111, anvil=True))
    assert not is_local_dev_chain(FakeNode(11155111, anvil=False))
    assert not is_local_dev_chain(FakeNode(1, anvil=False))


def test_french_revert_sentences_name_real_errors() -> None:
    """Every French sentence of the app is written for an error of the CLI's table (same meaning,
    another language); the errors members meet most have one."""
    source = (ROOT / "web" / "members" / "reverts.ts").read_text(encoding="utf-8")
    french = re.findall(r'^  "([A-Za-z0-9]+\([^"]*\))":', source, re.MULTILINE)
    meanings = revert_meanings()
    assert french and not [signature for signature in french if signature not in meanings]
    for needed in (
        "RedistributionNothingToClaim(address)",
        "RedistributionFeeBelowMinimum(uint256,uint256)",
        "MembershipNoInvitation(address,address)",
        "MembershipInProbation(address,uint48)",
        "EssProjectRegistryNotEssMember(address)",
        "GovernorAlreadyCastVote(address)",
    ):
        assert needed in french


def test_app_page_served_with_versioned_assets(client: TestClient) -> None:
    """/app/ is the app's shell, French first, its script and styles named by content hash."""
    response = client.get("/app/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert re.search(r'src="/web/dist/members\.js(\?v=[0-9a-f]{16})?"', response.text)
    assert re.search(r'href="/web/members/members\.css\?v=[0-9a-f]{16}"', response.text)
    assert "cdn" not in response.text.lower()
    assert client.get("/app", follow_redirects=False).status_code == 308


def test_deployment_roles_served(client: TestClient, world: World) -> None:
    """The addresses are the deployment record's."""
    deployment = load_deployment(world.dao.record_path)
    body = get(client, "/app/config")
    for role, contract in body["contracts"].items():
        assert contract["address"] == deployment.contracts[role].address
