"""What every `cmir` command shares: the network and deployment it talks to (`Target`, `connect`,
`Chain`), the options every command takes, and sending a transaction the way a member expects
(say what it does, ask, send, print the hash and gas used, explain a revert). Who signs is in
`cmir.apps.cli.signing`, what the command line gives and what is printed back (amounts,
addresses, references, durations) in `cmir.apps.cli.parsing`, the errors in `cmir.apps.cli.errors`.

Transactions are built, signed (eth-account) and sent with web3.py over the RPC URL of the
chosen network; Ape is imported only to resolve a network choice that is not the local chain
and to deploy.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError

from cmir.apps.cli.errors import BadInput, CliError
from cmir.apps.cli.parsing import show_units
from cmir.chain.errors import RpcError
from cmir.chain.paths import ProjectNotFoundError, project_root
from cmir.chain.reverts import explain
from cmir.chain.rpc import request as rpc_request

DEFAULT_NETWORK = "ethereum:local:foundry"
DEFAULT_LOCAL_RPC = "http://127.0.0.1:8545"
DEV_CHAIN_IDS = {31337}


# ---------------------------------------------------------------------------------- options

NetworkOpt = Annotated[
    str,
    typer.Option(
        "--network",
        help="Ape network choice ECOSYSTEM:NETWORK[:PROVIDER], e.g. ethereum:local:foundry (the running "
        "anvil at APE_FOUNDRY_HOST, default http://127.0.0.1:8545), ethereum:sepolia:node.",
        envvar="CMIR_NETWORK",
    ),
]
RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url",
        help="JSON-RPC URL to use instead of the one Ape's config gives the network "
        "(for Sepolia: ape-config `node: ethereum: sepolia: uri:` or WEB3_PROVIDER_URI).",
        show_default=False,
    ),
]
DeploymentOpt = Annotated[
    Path | None,
    typer.Option(
        "--deployment",
        help="Deployment record (default deployments/<network>.json, e.g. deployments/local.json).",
        envvar="CMIR_DEPLOYMENT_FILE",
        show_default=False,
        dir_okay=False,
        resolve_path=True,
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="Alias of an Ape keystore account (`ape accounts import ALIAS`), looked for in "
        "$APE_DATA_FOLDER, ~/.ape and .build/ape-data.",
        show_default=False,
    ),
]
KeyfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--keyfile",
        help="An encrypted JSON keyfile (Ethereum keystore v3) to sign with.",
        show_default=False,
        exists=True,
        dir_okay=False,
        resolve_path=True,
    ),
]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="File holding the keyfile's password (else it is asked for; never on the command line).",
        show_default=False,
        exists=True,
        dir_okay=False,
        resolve_path=True,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@dataclass
class Target:
    """Where a command points: network choice, RPC URL override, deployment record."""

    network: str = DEFAULT_NETWORK
    rpc_url: str | None = None
    deployment: Path | None = None


@dataclass
class Signer:
    """How a command signs: an Ape alias or a keyfile, and a password file."""

    account: str | None = None
    keyfile: Path | None = None
    password_file: Path | None = None


_SHARED_OPTIONS: dict[str, tuple[tuple[str, Any, Any], ...]] = {
    "target": (
        ("network", NetworkOpt, DEFAULT_NETWORK),
        ("rpc_url", RpcOpt, None),
        ("deployment", DeploymentOpt, None),
    ),
    "signer": (
        ("account", AccountOpt, None),
        ("keyfile", KeyfileOpt, None),
        ("password_file", PasswordFileOpt, None),
    ),
    "yes": (("yes", YesOpt, False),),
}


def shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the options every command shares, in place of the parameters that stand
    for them: ``target: Target`` becomes --network, --rpc-url and --deployment; ``signer: Signer``
    becomes --account, --keyfile and --password-file; ``yes: bool`` becomes --yes/-y. The other
    parameters, their order and the docstring (the command's help) are kept; Typer reads the
    signature this returns, and the command is called with a Target and a Signer built from the
    options' values."""
    own = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    for param in own.parameters.values():
        if param.name not in _SHARED_OPTIONS:
            params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        params += [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
            for name, annotation, default in _SHARED_OPTIONS[param.name]
        ]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        for group, build in (("target", Target), ("signer", Signer)):
            if group in own.parameters:
                values[group] = build(*(values.pop(name) for name, _, _ in _SHARED_OPTIONS[group]))
        command(**values)

    run.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params} | {"return": own.return_annotation}
    return run


def split_choice(choice: str) -> tuple[str, str, str | None]:
    """("ethereum", "sepolia", "node") from "ethereum:sepolia:node"; the provider may be absent."""
    parts = choice.split(":", 2)
    if len(parts) < 2 or not all(parts[:2]):
        raise BadInput(
            f"--network {choice!r} is not ECOSYSTEM:NETWORK[:PROVIDER] (e.g. ethereum:sepolia:node)"
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def root() -> Path:
    """The project's checkout (`project_root`), or a one-line error outside of one."""
    try:
        return project_root()
    except ProjectNotFoundError as error:
        raise CliError(str(error)) from None


def settings_key(choice: str) -> str:
    """The deployments/settings.yaml key of a network choice ("ethereum:sepolia")."""
    ecosystem, network, _ = split_choice(choice)
    return f"{ecosystem}:{network}"


def default_deployment(choice: str) -> Path:
    """deployments/<network>.json, as `ape run deploy` and `cmir deploy` write it."""
    return root() / "deployments" / f"{split_choice(choice)[1]}.json"


# ---------------------------------------------------------------------------------- Ape bits


def ape_environment() -> None:
    """Prepare to import Ape: this project's data folder (as the Makefile sets it) and config
    (Ape reads ape-config.yaml from the working directory: every path was resolved before)."""
    project = root()
    os.environ.setdefault("APE_DATA_FOLDER", str(project / ".build" / "ape-data"))
    os.environ.setdefault("SOLCX_BINARY_PATH", str(project / ".solcx"))
    bin_dirs = [str(project / "node_modules" / ".bin"), str(Path(sys.executable).parent)]
    os.environ["PATH"] = os.pathsep.join([*bin_dirs, os.environ.get("PATH", "")])
    if Path.cwd() != project:
        os.chdir(project)


def is_local(choice: str) -> bool:
    """The local development network (anvil through ape-foundry)."""
    return split_choice(choice)[1] == "local"


def rpc_url_of(target: Target) -> str:
    """The RPC URL of the target network."""
    if target.rpc_url:
        return target.rpc_url
    if is_local(target.network):
        return os.environ.get("APE_FOUNDRY_HOST") or DEFAULT_LOCAL_RPC
    ape_environment()
    from ape import networks
    from ape.exceptions import ApeException

    try:
        provider = networks.get_provider_from_choice(target.network)
        uri = provider.uri
    except (ApeException, ValueError, KeyError) as exc:
        raise BadInput(
            f"cannot find an RPC URL for {target.network}: {exc}. Give --rpc-url, set WEB3_PROVIDER_URI,"
            " or configure it in ape-config.yaml"
        ) from None
    return str(uri)


def rpc_alive(url: str, timeout: float = 3.0) -> int | None:
    """The chain id at `url`, or None if nothing answers (one try, `cmir.chain.rpc.request`)."""
    try:
        return int(rpc_request(url, "eth_chainId", timeout=timeout), 16)
    except (RpcError, ValueError, TypeError):
        return None


# ---------------------------------------------------------------------------------- chain


@dataclass
class Chain:
    """A connection to a deployment: web3, the record, contracts by role, the token's figures."""

    w3: Web3
    network: str
    rpc_url: str
    record: dict[str, Any]
    record_path: Path
    contracts: dict[str, Any] = field(default_factory=dict)
    decimals: int = 6
    symbol: str = "tEUR"

    @property
    def chain_id(self) -> int:
        """The chain id the record was made on (checked against the RPC at connection)."""
        return int(self.record["chain_id"])

    @property
    def abis(self) -> list[list[dict[str, Any]]]:
        """Every contract's ABI, for decoding errors."""
        return [c["abi"] for c in self.record["contracts"].values()]

    def contract(self, role: str) -> Any:
        """The web3 contract of `role` (token, membership, registry, pool, governor, timelock)."""
        if role not in self.contracts:
            raise CliError(f"the deployment record {self.record_path} has no {role!r} contract")
        return self.contracts[role]

    def amount(self, value: int) -> str:
        """Token units for people."""
        return show_units(value, self.decimals, self.symbol)

    def explain(self, data: str) -> str:
        """Revert `data` in one sentence, its token amounts in euros (`amount`)."""
        return explain(data, self.abis, self.amount)

    def is_dev(self) -> bool:
        """A local anvil chain whose clock may be moved."""
        if self.w3.eth.chain_id in DEV_CHAIN_IDS:
            return True
        try:
            return "anvil" in str(self.w3.client_version).lower()
        except Exception:
            return False


def connect(target: Target) -> Chain:
    """Open the deployment record and its chain; one-line errors for what is missing."""
    path = target.deployment or default_deployment(target.network)
    if not path.exists():
        hint = "run `make up` (local demo) or `cmir deploy --network ...`"
        raise BadInput(f"no deployment record at {path}: {hint}, or pass --deployment")
    try:
        record = json.loads(path.read_text())
        contracts_ = record["contracts"]
    except (ValueError, KeyError):
        raise BadInput(f"{path} is not a deployment record (chain_id, contracts)") from None
    url = rpc_url_of(target)
    chain_id = rpc_alive(url)
    if chain_id is None:
        hint = " (start it with `make up`)" if is_local(target.network) else ""
        raise CliError(f"no chain answers at {url}{hint}")
    if chain_id != int(record["chain_id"]):
        raise CliError(
            f"the chain at {url} has chain id {chain_id}, "
            f"the deployment {path.name} was made on {record['chain_id']}"
        )
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
    chain = Chain(w3=w3, network=target.network, rpc_url=url, record=record, record_path=path)
    for role, entry in contracts_.items():
        chain.contracts[role] = w3.eth.contract(
            address=to_checksum_address(entry["address"]), abi=entry["abi"]
        )
    if "token" in chain.contracts:
        try:
            chain.decimals = int(chain.contracts["token"].functions.decimals().call())
            chain.symbol = str(chain.contracts["token"].functions.symbol().call())
        except Exception:  # noqa: S110 - a token without the optional metadata: keep the defaults
            pass
    return chain


# ---------------------------------------------------------------------------------- sending


def revert_data(exc: Exception) -> str | None:
    """The revert data carried by a web3 exception."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if exc.args and isinstance(exc.args[-1], str) and exc.args[-1].startswith("0x"):
        return exc.args[-1]
    return None


def simulate(chain: Chain, call: Any, sender: str, what: str) -> int:
    """Estimate the gas of `call` from `sender`; a revert becomes a one-line explanation."""
    try:
        return int(call.estimate_gas({"from": sender}))
    except ContractLogicError as exc:
        data = revert_data(exc)
        reason = chain.explain(data) if data else str(exc)
        raise CliError(f"{what} would revert: {reason}") from None


def confirm(plan: list[str], yes: bool) -> None:
    """Show what will happen, then ask (unless --yes)."""
    for line in plan:
        typer.echo(line)
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("not confirmed: no terminal to ask (add --yes to proceed)")
    if not typer.confirm("Send this transaction?", default=False):
        raise CliError("cancelled: nothing was sent")


def transact(
    chain: Chain,
    account: LocalAccount,
    call: Any,
    what: str,
    yes: bool,
    details: list[str] | None = None,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Say what `call` (a web3 ContractFunction) does, ask, send it signed by `account`, wait
    for its receipt and print the hash and gas used; a revert is a CliError with its reason."""
    sender = account.address
    gas = simulate(chain, call, sender, what)
    contract_name = next(
        (
            entry["contract"]
            for entry in chain.record["contracts"].values()
            if to_checksum_address(entry["address"]) == call.address
        ),
        "contract",
    )
    plan = [
        f"About to {what}.",
        *[f"  {line}" for line in details or []],
        f"  from {sender} on {chain.network} (chain id {chain.chain_id})",
        f"  calls {contract_name}.{call.fn_name} at {call.address}; estimated gas {gas}",
    ]
    confirm(plan, yes)
    w3 = chain.w3
    tx = call.build_transaction(
        {
            "from": sender,
            "nonce": w3.eth.get_transaction_count(sender, "pending"),
            "gas": int(gas * 1.25) + 20_000,
            "chainId": chain.chain_id,
        }
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    typer.echo(f"sent: tx {tx_hash.to_0x_hex()}")
    receipt: dict[str, Any] = dict(
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.5)
    )
    if int(receipt["status"]) != 1:
        reason = "no reason given"
        try:
            call.call({"from": sender}, block_identifier=int(receipt["blockNumber"]) - 1)
        except ContractLogicError as exc:
            data = revert_data(exc)
            reason = chain.explain(data) if data else str(exc)
        raise CliError(
            f"tx {tx_hash.to_0x_hex()} reverted in block {receipt['blockNumber']} "
            f"(gas used {receipt['gasUsed']}): {reason}"
        )
    typer.echo(
        f"done: tx {tx_hash.to_0x_hex()} in block {receipt['blockNumber']}, gas used {receipt['gasUsed']}"
    )
    return receipt


def get_logs(
    chain: Chain, event: Any, start: int, end: int | None = None, filters: dict[str, Any] | None = None
) -> list[Any]:
    """Logs of `event` (a web3 contract event) from block `start` with indexed arguments
    `filters`, in ranges a public RPC accepts."""
    head = chain.w3.eth.block_number if end is None else end
    found: list[Any] = []
    step, block = 50_000, start
    while block <= head:
        last = min(head, block + step - 1)
        try:
            found += event.get_logs(from_block=block, to_block=last, argument_filters=filters or None)
        except Exception:
            if step <= 100:
                raise
            step //= 5
            continue
        block = last + 1
    return found


class ApeStyle:
    """A web3 contract as `cmir.chain.governance` expects an Ape one: ``contract.view(*args)`` reads a
    view, ``contract.method.encode_input(*args)`` encodes a call, ``contract.address``."""

    def __init__(self, contract: Any) -> None:
        self.contract = contract
        self.address = str(contract.address)

    def __getattr__(self, name: str) -> _Method:
        return _Method(self.contract, name)


class _Method:
    def __init__(self, contract: Any, name: str) -> None:
        self.contract, self.name = contract, name

    def __call__(self, *args: Any) -> Any:
        return getattr(self.contract.functions, self.name)(*args).call()

    def encode_input(self, *args: Any) -> bytes:
        return bytes.fromhex(self.contract.encode_abi(self.name, args=list(args))[2:])


def now(chain: Chain) -> int:
    """The latest block's timestamp (the contracts' clock)."""
    return int(chain.w3.eth.get_block("latest")["timestamp"])


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
