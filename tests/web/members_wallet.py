"""An injected EIP-1193 test wallet for the members' app, as a browser extension would be: an init
script announces an EIP-6963 provider whose ``request`` is answered by Python (through
``page.expose_function``), signing with eth-account: typed data (permits, forward requests,
ballots) and transactions, sent raw to the chain. Everything else goes to the node. The app
cannot tell it from MetaMask; the test sees every request it made."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from playwright.sync_api import BrowserContext

RDNS = "org.cmir.testwallet"
NAME = "Portefeuille de test"
ICON = "data:image/svg+xml," + quote('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')

INIT_SCRIPT = (
    """
(() => {
  const listeners = {};
  const provider = {
    isCmirTestWallet: true,
    async request({ method, params }) {
      const answer = JSON.parse(await window.__cmirTestWallet(method, JSON.stringify(params ?? [])));
      if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
    on(event, listener) { (listeners[event] ||= []).push(listener); },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter((l) => l !== listener);
    },
  };
  const detail = Object.freeze({
    info: { uuid: "0b7f4c1e-2f43-4a57-9a4e-5b8d7e6c1a20", name: "%NAME%", rdns: "%RDNS%", icon: "%ICON%" },
    provider,
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
""".replace("%NAME%", NAME)
    .replace("%RDNS%", RDNS)
    .replace("%ICON%", ICON)
)


def _revive(types: dict[str, list[dict[str, str]]], kind: str, value: Any) -> Any:
    """Typed data read from JSON (integers as strings, as viem sends them) back to Python values."""
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        return [_revive(types, inner, item) for item in value]
    if kind.startswith(("uint", "int")):
        return int(value, 0) if isinstance(value, str) else int(value)
    if kind in types and isinstance(value, dict):
        return {f["name"]: _revive(types, f["type"], value.get(f["name"])) for f in types[kind]}
    return value


class TestWallet:
    """Signs as `private_key` for the page; `calls` lists every method the app asked for."""

    __test__ = False  # not a pytest class

    def __init__(self, private_key: str, rpc_url: str) -> None:
        self.account: LocalAccount = Account.from_key(private_key)
        self.rpc_url = rpc_url
        self.calls: list[str] = []
        self.sent: list[str] = []

    @property
    def address(self) -> str:
        """The account's checksummed address."""
        return str(self.account.address)

    def install(self, context: BrowserContext) -> None:
        """Inject the wallet into every page of `context`."""
        context.expose_function("__cmirTestWallet", self.answer)
        context.add_init_script(INIT_SCRIPT)

    def rpc(self, method: str, params: list[Any]) -> Any:
        """A JSON-RPC call to the node; raises on an error answer."""
        body = requests.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30
        ).json()
        if "error" in body:
            raise RpcFailureError(body["error"])
        return body["result"]

    def answer(self, method: str, params_json: str) -> str:
        """The JSON answer to one EIP-1193 request: {"result": ...} or {"error": ...}."""
        self.calls.append(method)
        params: list[Any] = json.loads(params_json)
        try:
            return json.dumps({"result": self._handle(method, params)})
        except RpcFailureError as failure:
            return json.dumps({"error": failure.error})
        except Exception as exc:  # the app sees a wallet error, as from MetaMask
            return json.dumps({"error": {"code": -32603, "message": f"{type(exc).__name__}: {exc}"}})

    def _handle(self, method: str, params: list[Any]) -> Any:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [self.address]
        if method in ("wallet_switchEthereumChain", "wallet_addEthereumChain"):
            return None
        if method == "eth_signTypedData_v4":
            data = json.loads(params[1]) if isinstance(params[1], str) else params[1]
            types = {k: v for k, v in data["types"].items() if k != "EIP712Domain"}
            domain = dict(data["domain"])
            if "chainId" in domain:
                domain["chainId"] = (
                    int(domain["chainId"], 0) if isinstance(domain["chainId"], str) else domain["chainId"]
                )
            message = _revive(types, data["primaryType"], data["message"])
            signed = self.account.sign_typed_data(domain, types, message)
            return "0x" + bytes(signed.signature).hex()
        if method == "personal_sign":
            signed = self.account.sign_message(encode_defunct(hexstr=params[0]))
            return "0x" + bytes(signed.signature).hex()
        if method == "eth_sendTransaction":
            return self._send(params[0])
        return self.rpc(method, params)

    def _send(self, tx: dict[str, Any]) -> str:
        chain_id = int(self.rpc("eth_chainId", []), 16)
        nonce = int(self.rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
        call = {
            "from": self.address,
            "to": tx["to"],
            "data": tx.get("data", "0x"),
            "value": tx.get("value", "0x0"),
        }
        gas = int(tx["gas"], 16) if tx.get("gas") else int(self.rpc("eth_estimateGas", [call]), 16) * 13 // 10
        base = int(self.rpc("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
        signed = self.account.sign_transaction(
            {
                "chainId": chain_id,
                "nonce": nonce,
                "to": tx["to"],
                "data": tx.get("data", "0x"),
                "value": int(tx.get("value", "0x0"), 16),
                "gas": gas,
                "maxFeePerGas": base * 2 + 10**9,
                "maxPriorityFeePerGas": 10**9,
                "type": 2,
            }
        )
        tx_hash: str = self.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
        self.sent.append(tx_hash)
        return tx_hash


class RpcFailureError(Exception):
    """The node's error answer, passed on to the page as it came."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error
