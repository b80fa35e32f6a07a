"""The generated chain of the benchmark and of the indexer's long-chain tests.

The real contracts are deployed (``cmir.chain.deploy`` through Ape, as ``ape run deploy``) on an
anvil of our own, then `BatchMember` helper contracts (``contracts/test/BatchMember.sol``) join
as members (each accepting the invitation of its founder sponsor, by sponsor and kind) and call
the pool many times per transaction (relations paid, contributions, claims
when there is something to claim), sent as raw JSON-RPC with automine off and mined into blocks
of ``txs_per_block`` such transactions. Every block is ``seconds_per_block`` after the last, so
the pool's epochs end every few blocks: points mature and claims pay. Founders claim too, and
governance proposals (`cmir.dev.bench.governance`) change the epoch length, the reward cap, the parties'
minimum share, the shares, the weights and the membership fee (a late helper then joins paying
it), and exclude a helper just after it earned points. The chain is saved with ``anvil
--dump-state`` under ``.build/bench/``, keyed by the contracts' bytecode, the plan, the
generator's code and anvil's version, and reloaded with ``--load-state``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from cmir.chain.errors import RpcError, RpcResponseError
from cmir.chain.fastabi import split_types
from cmir.chain.paths import project_root
from cmir.chain.rpc import RpcClient
from cmir.dev.devchain import Anvil, anvil_binary, deploy_founders

ROOT = project_root()
BUILD = ROOT / ".build"
ARTIFACTS = BUILD / "__local__.json"
CACHE = BUILD / "bench"
#: Contracts whose bytecode (with the generation parameters) keys the cached chain.
KEYED_CONTRACTS = (
    "TestEuro",
    "CmirTimelock",
    "Membership",
    "EssProjectRegistry",
    "Redistribution",
    "CmirGovernor",
    "BatchMember",
)
#: The generator's modules, whose source keys the cached chain too.
GENERATOR = (Path(__file__), Path(__file__).with_name("governance.py"))
GAS_LIMIT = 4_000_000_000
GAS_PER_CALL = 120_000
MAX_UINT = 2**256 - 1
EUR = 10**6


def say(message: str) -> None:
    """A progress line on stdout, flushed."""
    print(message, flush=True)


class GeneratorRpcError(RpcError):
    """A JSON-RPC call of the generator had an error reply."""


class Rpc(RpcClient):
    """The generator's JSON-RPC (`cmir.chain.rpc`): single calls and batches, each batch in one
    request whatever its size, never retried (a transaction sent again would fail on its nonce,
    hiding the first failure). An error reply raises `GeneratorRpcError`, with its data (the
    revert)."""

    def __init__(self, url: str, timeout: float = 600.0) -> None:
        super().__init__(url, timeout=timeout, max_retries=0, batch_size=1_000_000)

    def call(self, method: str, params: Sequence[Any] = (), **options: Any) -> Any:
        """One call (`RpcClient.call`'s `options`); raises `GeneratorRpcError` on an error reply."""
        try:
            return super().call(method, params, **options)
        except RpcResponseError as exc:
            raise _generator_error(exc) from None

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Calls in one JSON-RPC batch; results in order."""
        try:
            return super().batch(calls)
        except RpcResponseError as exc:
            raise _generator_error(exc) from None


def _generator_error(exc: RpcResponseError) -> GeneratorRpcError:
    error = {"code": exc.code, "message": exc.rpc_message, "data": exc.data}
    return GeneratorRpcError(f"{exc.method}: {error}")


class AnvilProcess(Anvil):
    """An anvil on a free loopback port (``cmir.dev.devchain``) with the generator's JSON-RPC client;
    it is given two minutes to load a large state, and to write its --dump-state file when
    stopped."""

    def __init__(self, *extra: str) -> None:
        super().__init__(*extra, start_timeout=120, stop_timeout=120)
        self.rpc = Rpc(self.url)


def artifacts() -> dict[str, Any]:
    """The compiled contract types (``ape compile``), BatchMember included."""
    if not ARTIFACTS.exists():
        raise SystemExit(f"{ARTIFACTS} is missing: run `ape compile` first")
    types: dict[str, Any] = json.loads(ARTIFACTS.read_text())["contractTypes"]
    if "BatchMember" not in types:
        raise SystemExit("BatchMember is not compiled: run `ape compile` (contracts/test/BatchMember.sol)")
    return types


def selector(signature: str) -> bytes:
    """The 4-byte selector of a function signature."""
    return keccak(text=signature)[:4]


def calldata(signature: str, *args: Any) -> bytes:
    """ABI-encoded call of `signature` (``name(type,...)``) with `args`."""
    types = signature[signature.index("(") + 1 : -1]
    return selector(signature) + encode(split_types(types), list(args))


@dataclass(frozen=True)
class ChainPlan:
    """How the generated chain is laid out."""

    events: int = 100_000
    helpers: int = 6
    calls_per_tx: int = 40
    txs_per_block: int = 1
    claim_every: int = 97
    #: Seconds between blocks: with the local 60 s epochs, an epoch ends every 10 blocks.
    seconds_per_block: int = 6
    #: Proposals changing the pool's settings and excluding a helper, spread over the stream.
    governance: bool = True

    def key(self) -> str:
        """A cache key: the contracts' bytecode, these parameters, the generator's code and the
        anvil version."""
        # the generator's own code keys it too: a change makes another chain
        return cache_key(KEYED_CONTRACTS, asdict(self), GENERATOR)


def cache_key(contracts: Sequence[str], plan: dict[str, Any], files: Sequence[Path]) -> str:
    """A generated chain's cache key: the bytecode of `contracts`, the `plan`, the bytes of
    `files` (the generator's code, its settings) and anvil's version."""
    types = artifacts()
    digest = hashlib.sha256()
    for name in contracts:
        if name not in types:
            raise SystemExit(f"{name} is not compiled: run `ape compile`")
        digest.update(name.encode())
        digest.update(str(types[name]["deploymentBytecode"]["bytecode"]).encode())
    digest.update(json.dumps(plan, sort_keys=True).encode())
    for path in files:
        digest.update(path.read_bytes())
    version = subprocess.run(  # noqa: S603 (the project's own anvil)
        [anvil_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout
    digest.update(version.encode())
    return digest.hexdigest()[:16]


@dataclass
class Chain:
    """A generated chain: where its state and deployment record are."""

    state: Path
    record: Path
    head: int
    events: int

    @property
    def deployment_block(self) -> int:
        """The first block of the deployment."""
        return int(json.loads(self.record.read_text())["deployment_block"])


class Miner:
    """Sends transactions from anvil's unlocked accounts with automine off and mines them into
    blocks `seconds` apart (a clock of its own: the chain does not depend on the wall clock)."""

    def __init__(self, rpc: Rpc, seconds: int) -> None:
        self.rpc = rpc
        self.seconds = seconds
        self.pending: list[str] = []
        #: Blocks mined so far (the number of the block being built, counting from 0).
        self.blocks = 0
        self.time = int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        rpc.call("evm_setAutomine", [False])

    def send(self, sender: str, to: str | None, data: bytes, gas: int) -> None:
        """Queue a transaction for the next block."""
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas)}
        if to is not None:
            tx["to"] = to
        self.pending.append(str(self.rpc.call("eth_sendTransaction", [tx])))

    def mine(self) -> list[dict[str, Any]]:
        """Mine one block holding the queued transactions; each must succeed. Returns receipts."""
        self.time += self.seconds
        self.rpc.call("evm_setNextBlockTimestamp", [self.time])
        self.rpc.call("evm_mine")
        self.blocks += 1
        hashes, self.pending = self.pending, []
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        for receipt in receipts:
            if receipt is None or receipt["status"] != "0x1":
                raise RuntimeError(f"a generator transaction failed: {self._why(receipt)}")
        return receipts

    def _why(self, receipt: dict[str, Any] | None) -> str:
        """The failed transaction of `receipt` replayed: its revert data, or the receipt."""
        if receipt is None:
            return "no receipt"
        tx = self.rpc.call("eth_getTransactionByHash", [receipt["transactionHash"]])
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        try:
            self.rpc.call("eth_call", [call, hex(int(receipt["blockNumber"], 16) - 1)])
        except GeneratorRpcError as exc:
            return f"{tx['to']} {tx['input'][:10]}: {exc}"
        return str(receipt)

    def view(self, to: str, signature: str, result: str, *args: Any) -> Any:
        """An ``eth_call`` at the latest block, decoded as `result` (one ABI type)."""
        answer = self.rpc.call(
            "eth_call", [{"to": to, "data": "0x" + calldata(signature, *args).hex()}, "latest"]
        )
        return decode([result], bytes.fromhex(answer[2:]))[0]

    def close(self) -> None:
        """Automine on again."""
        self.rpc.call("evm_setAutomine", [True])


def add_helpers(
    miner: Miner, contracts: dict[str, str], deployer: str, sponsors: Sequence[str], count: int
) -> list[str]:
    """Deploy `count` BatchMember helpers, have `sponsors` invite them in turn, and let them
    join (paying the membership fee, if any, from their own euros). Returns their addresses."""
    code = bytes.fromhex(str(artifacts()["BatchMember"]["deploymentBytecode"]["bytecode"])[2:])
    args = encode(["address", "address"], [contracts["pool"], contracts["membership"]])
    for _ in range(count):
        miner.send(deployer, None, code + args, 5_000_000)
    helpers = [str(r["contractAddress"]) for r in miner.mine()]
    invited = []
    for n, helper in enumerate(helpers):
        sponsor, kind = sponsors[n % len(sponsors)], n % 2
        miner.send(sponsor, contracts["membership"], calldata("invite(address,uint8)", helper, kind), 500_000)
        invited.append((helper, sponsor, kind))
    miner.mine()
    # Each accepts the invitation it was sent, naming its sponsor and kind (their votes would
    # count after probation; they only pay relations, which probation does not hold back).
    for helper, sponsor, kind in invited:
        miner.send(deployer, helper, calldata("join(address,uint8)", sponsor, kind), 1_000_000)
    miner.mine()
    return helpers


def run_helper(
    miner: Miner,
    deployer: str,
    helper: str,
    counterparties: Sequence[str],
    calls: int,
    n: int,
    claim_every: int,
) -> None:
    """Queue one `BatchMember.run`: `calls` pool calls of `helper` (relations to
    `counterparties`, contributions, claims every `claim_every` calls); `n` varies amounts."""
    data = calldata(
        "run(address[],uint256,uint256,uint256)",
        list(counterparties),
        calls,
        10 * EUR + (n % 13) * EUR,
        claim_every,
    )
    miner.send(deployer, helper, data, GAS_PER_CALL * calls + 1_000_000)


def generate(rpc: Rpc, record: Path, plan: ChainPlan, report: bool = True) -> int:
    """Add helper members to a deployed chain and make them emit at least ``plan.events`` pool
    events over many epochs, with founders' claims and governance (`cmir.dev.bench.governance`) on the
    way. Returns how many pool calls the helpers made."""
    from cmir.dev.bench.governance import Governance

    deployment = json.loads(record.read_text())
    contracts = {role: entry["address"] for role, entry in deployment["contracts"].items()}
    accounts: list[str] = rpc.call("eth_accounts")
    deployer, founders = accounts[0], accounts[1:4]
    miner = Miner(rpc, plan.seconds_per_block)
    helpers = add_helpers(miner, contracts, deployer, founders, plan.helpers)
    governance = Governance(miner, contracts, founders, helpers, plan.events) if plan.governance else None
    pool = contracts["pool"]
    calls = blocks = n = 0
    epoch = int(miner.view(pool, "epoch()", "uint256"))
    started = time.monotonic()
    while calls < plan.events or (governance is not None and not governance.done):
        if governance is not None:
            governance.before_block(calls, deployer, plan)
        for _ in range(plan.txs_per_block):
            helper = helpers[n % len(helpers)]
            others = [a for a in (*founders, *helpers) if a != helper]
            run_helper(miner, deployer, helper, others, plan.calls_per_tx, n, plan.claim_every)
            n += 1
            calls += plan.calls_per_tx
        now = int(miner.view(pool, "epoch()", "uint256"))
        if now != epoch:  # a new epoch: a founder claims what its matured points earned
            epoch = now
            founder = founders[now % len(founders)]
            if miner.view(pool, "claimableOf(address)", "uint256", founder):
                miner.send(founder, pool, selector("claim()"), 500_000)
        if governance is not None:
            governance.in_block(deployer, plan)
        miner.mine()
        blocks += 1
        if report and blocks % 200 == 0:
            rate = calls / (time.monotonic() - started)
            say(f"  generated {calls} calls in {blocks} blocks ({rate:.0f} calls/s), epoch {epoch}")
    miner.close()
    return calls


def count_logs(rpc: Rpc, record: Path, first: int, last: int, step: int = 2_000) -> int:
    """How many logs the indexed contracts emitted in ``first..last`` (eth_getLogs)."""
    deployment = json.loads(record.read_text())
    addresses = [
        entry["address"]
        for role, entry in deployment["contracts"].items()
        if role in ("membership", "registry", "pool", "governor", "timelock")
    ]
    total = 0
    for start in range(first, last + 1, step):
        end = min(last, start + step - 1)
        logs = rpc.call("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}])
        total += len(logs)
    return total


def build_chain(plan: ChainPlan, cache: Path = CACHE, report: bool = True) -> Chain:
    """The generated chain for `plan`, from the cache or built now (and cached)."""
    folder = cache / plan.key()
    state, record, info = folder / "state.json", folder / "deployment.json", folder / "chain.json"
    if state.exists() and record.exists() and info.exists():
        meta = json.loads(info.read_text())
        if report:
            say(f"chain: cached in {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}")
        return Chain(state, record, int(meta["head"]), int(meta["events"]))
    folder.mkdir(parents=True, exist_ok=True)
    # Files of this build only: two processes building the same plan do not mix their work.
    partial = folder / f"state.partial.{os.getpid()}.json"
    building = folder / f"deployment.partial.{os.getpid()}.json"
    started = time.monotonic()
    if report:
        say(f"chain: generating >= {plan.events} events (cached afterwards under {folder})")
    anvil = AnvilProcess(
        "--gas-limit", str(GAS_LIMIT), "--code-size-limit", str(2**20), "--dump-state", str(partial)
    )
    try:
        deploy_founders(anvil.url, building, timeout=600)
        if report:
            say(f"  deployed the contracts in {time.monotonic() - started:.1f}s")
        generate(anvil.rpc, building, plan, report)
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        deployment_block = int(json.loads(building.read_text())["deployment_block"])
        events = count_logs(anvil.rpc, building, deployment_block, head)
    finally:
        anvil.stop()
    if not partial.exists():
        raise RuntimeError("anvil did not write its state")
    partial.replace(state)
    building.replace(record)
    info.write_text(json.dumps({"head": head, "events": events, "plan": asdict(plan)}))
    for other in cache.glob("*/chain.json"):  # the same plan built from older contracts: stale
        if other.parent != folder and json.loads(other.read_text()).get("plan") == asdict(plan):
            shutil.rmtree(other.parent, ignore_errors=True)
    if report:
        say(f"  chain of {head} blocks, {events} events, generated in {time.monotonic() - started:.1f}s")
    return Chain(state, record, head, events)


@contextmanager
def serve(chain: Chain) -> Iterator[AnvilProcess]:
    """An anvil serving the cached chain."""
    anvil = AnvilProcess("--load-state", str(chain.state), "--gas-limit", str(GAS_LIMIT))
    try:
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        if head != chain.head:
            raise RuntimeError(f"the cached chain reloaded at block {head}, not {chain.head}")
        yield anvil
    finally:
        anvil.stop()
