"""Unit tests without a chain: the fast ABI decoder against eth_abi, exact uint256 storage,
retries of the RPC client, adaptive ranges, ESS metadata checks and the CLI's errors."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cmir.chain.abi import canonical_type
from cmir.chain.errors import RpcResponseError, RpcUnavailableError
from cmir.chain.fastabi import decoder
from cmir.chain.rpc import RpcClient
from cmir.indexer.fetch import RangeSizer, is_range_error
from cmir.indexer.metadata import MetadataFetchError, MetadataPolicy, check_document, fetch_document
from cmir.store import Relation
from cmir.store.bulk import insert_rows
from cmir.store.session import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]
# The compiled artifacts (made by `ape compile`, which `make test` runs first): unlike a
# deployments/<network>.json file, they exist on every machine that runs the tests.
MANIFEST = ROOT / ".build" / "__local__.json"
DEPLOYED = {
    "membership": "Membership",
    "registry": "EssProjectRegistry",
    "pool": "Redistribution",
    "governor": "CmirGovernor",
    "timelock": "CmirTimelock",
}


def _compiled_record() -> dict[str, Any]:
    """A deployment record of the compiled contracts (placeholder addresses, chain 31337)."""
    types = json.loads(MANIFEST.read_text())["contractTypes"]
    return {
        "network": "ethereum:local",
        "chain_id": 31337,
        "deployment_block": 0,
        "contracts": {
            role: {"address": f"0x{index + 1:040x}", "contract": name, "abi": types[name]["abi"]}
            for index, (role, name) in enumerate(DEPLOYED.items())
        },
    }


def _event_types() -> list[list[str]]:
    """The data types of every event of the deployed contracts."""
    record = _compiled_record()
    found = []
    for contract in record["contracts"].values():
        for entry in contract["abi"]:
            if entry.get("type") == "event":
                types = [canonical_type(i) for i in entry["inputs"] if not i.get("indexed")]
                if types:
                    found.append(types)
    return found


def _strategy(type_: str) -> st.SearchStrategy[Any]:
    if type_.endswith("[]"):
        return st.lists(_strategy(type_[:-2]), max_size=3)
    if type_.startswith("("):
        inner, depth, parts, current = type_[1:-1], 0, [], ""
        for char in inner:
            if char == "," and depth == 0:
                parts.append(current)
                current = ""
                continue
            depth += (char == "(") - (char == ")")
            current += char
        parts.append(current)
        return st.tuples(*(_strategy(p) for p in parts))
    if type_.startswith("uint"):
        return st.integers(0, 2 ** int(type_[4:] or 256) - 1)
    if type_ == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if type_ == "bool":
        return st.booleans()
    if type_ == "string":
        return st.text(max_size=40)
    if type_ == "bytes":
        return st.binary(max_size=70)
    if type_.startswith("bytes"):
        width = int(type_[5:])
        return st.binary(min_size=width, max_size=width)
    raise AssertionError(type_)


EVENT_TYPES = _event_types()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(EVENT_TYPES).flatmap(
        lambda types: st.tuples(st.just(types), st.tuples(*map(_strategy, types)))
    )
)
def test_fast_decoder_matches_eth_abi(case: tuple[list[str], tuple[Any, ...]]) -> None:
    types, values = case
    data = encode(types, values)

    def lower(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return value.lower()
        if isinstance(value, (list, tuple)):
            return tuple(lower(v) for v in value)
        return value

    assert lower(decoder(types)(data)) == lower(abi_decode(types, data))


def test_fast_decoder_rejects_truncated_data() -> None:
    types = ["uint256", "string"]
    data = encode(types, [1, "hello"])
    with pytest.raises(ValueError, match=r"past the data|too short"):
        decoder(types)(data[:-40])


@pytest.mark.parametrize("amount", [0, 1, 2**63 - 1, 2**63, 10**27, 2**256 - 1])
def test_uint256_round_trips_exactly_and_orders_on_sqlite(tmp_path: Path, amount: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'u.sqlite3'}")
    upgrade(engine)
    table = Relation.__table__
    base = {
        "chain_id": 1, "log_index": 0, "block_number": 1, "block_time": 1, "payer": "p", "counterparty": "c",
        "relation_ref": "r", "to_members": 0, "to_ess": 0, "to_collective": 0, "payer_sponsor": None,
        "counterparty_sponsor": None, "payer_points": 0, "counterparty_points": 0, "payer_sponsor_points": 0,
        "counterparty_sponsor_points": 0, "reward_per_point": 0, "epoch": 1, "members_to_ess": 0,
    }  # fmt: skip
    with engine.begin() as connection:
        insert_rows(
            connection,
            table,
            [
                {**base, "tx_hash": "a", "amount": amount},
                {**base, "tx_hash": "b", "log_index": 1, "amount": 5},
            ],
        )
        connection.execute(
            table.insert().values(**{**base, "tx_hash": "c", "log_index": 2, "amount": amount})
        )
    with engine.connect() as connection:
        assert connection.execute(select(table.c.amount).where(table.c.tx_hash == "a")).scalar_one() == amount
        assert connection.execute(select(table.c.amount).where(table.c.tx_hash == "c")).scalar_one() == amount
        ordered = connection.execute(select(table.c.amount).order_by(table.c.amount)).scalars().all()
        assert ordered == sorted([amount, amount, 5])
        matching = connection.execute(select(table.c.tx_hash).where(table.c.amount == amount)).scalars().all()
        assert sorted(matching) == ["a", "c"]


class _Faulty(BaseHTTPRequestHandler):
    """Answers with the scripted failures first, then a valid JSON-RPC reply."""

    script: ClassVar[list[str]] = []
    seen = 0

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        type(self).seen += 1
        step = type(self).script.pop(0) if type(self).script else "ok"
        if step == "drop":
            self.connection.close()
            return
        if step in ("429", "500", "503"):
            self.send_response(int(step))
            self.end_headers()
            return
        if step == "garbled":
            body = b'{"jsonrpc": "2.0", "res'
        elif step == "range":
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": request["id"],
                    "error": {"code": -32005, "message": "query returned more than 10000 results"},
                }
            ).encode()
        else:
            body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x7a69"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def faulty() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Faulty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Faulty.script, _Faulty.seen = [], 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rpc_retries_connection_errors_429_5xx_and_garbage(faulty: str) -> None:
    _Faulty.script = ["drop", "429", "500", "garbled", "503"]
    delays: list[float] = []
    client = RpcClient(faulty, max_retries=6, backoff_base=0.1, backoff_max=1.0, sleep=delays.append)
    assert client.call("eth_chainId") == "0x7a69"
    assert _Faulty.seen == 6
    assert len(delays) == 5
    assert all(0.05 <= d <= 1.0 for d in delays) and delays[3] > delays[0]  # exponential, jittered, capped


def test_rpc_gives_up_with_a_clear_error(faulty: str) -> None:
    _Faulty.script = ["500"] * 10
    client = RpcClient(faulty, max_retries=3, sleep=lambda _: None)
    with pytest.raises(RpcUnavailableError, match=r"failed 4 times on eth_chainId; last error: HTTP 500"):
        client.call("eth_chainId")


def test_rpc_errors_are_not_retried_but_classified(faulty: str) -> None:
    _Faulty.script = ["range"]
    client = RpcClient(faulty, max_retries=3, sleep=lambda _: None)
    with pytest.raises(RpcResponseError) as caught:
        client.call("eth_getLogs", [{}])
    assert is_range_error(caught.value)
    assert _Faulty.seen == 1


def test_range_sizer_shrinks_and_grows() -> None:
    sizer = RangeSizer(initial=1000, maximum=4000, target_events=1000)
    sizer.shrink()
    assert sizer.size == 500
    sizer.observe(blocks=500, events=5000, seconds=0.1)  # too many events: proportional cut
    assert sizer.size == 100
    sizer.observe(blocks=100, events=10, seconds=0.1)  # fast and light: grow
    assert sizer.size == 200
    for _ in range(10):
        sizer.observe(blocks=sizer.size, events=0, seconds=0.1)
    assert sizer.size == 4000
    for _ in range(20):
        sizer.shrink()
    assert sizer.size == 1


def test_metadata_sources_and_checks(tmp_path: Path) -> None:
    document = json.dumps({"name": "Ressourcerie"}).encode()
    digest = "0x" + keccak(document).hex()
    policy = MetadataPolicy(file_root=tmp_path)
    b64 = "data:application/json;base64," + base64.b64encode(document).decode()
    assert check_document(fetch_document(b64, policy), digest) == {"name": "Ressourcerie"}
    assert fetch_document("data:,%7B%7D", policy) == b"{}"
    (tmp_path / "doc.json").write_bytes(document)
    assert (
        check_document(fetch_document((tmp_path / "doc.json").as_uri(), policy), digest)["name"]
        == "Ressourcerie"
    )
    cases = {
        (tmp_path / "missing.json").as_uri(): "unreachable",
        "file:///etc/hostname": "unsupported",
        "ipfs://bafy": "unsupported",
        "http://127.0.0.1:9/doc.json": "unsupported",  # private hosts refused by default
    }
    for uri, status in cases.items():
        with pytest.raises(MetadataFetchError) as caught:
            fetch_document(uri, policy)
        assert caught.value.status == status, uri
    with pytest.raises(MetadataFetchError) as caught:
        check_document(document, "0x" + "00" * 32)
    assert caught.value.status == "mismatch"
    with pytest.raises(MetadataFetchError) as caught:
        check_document(b"[1]", "0x" + keccak(b"[1]").hex())
    assert caught.value.status == "invalid"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "cmir.indexer", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_cli_help_and_one_line_errors(tmp_path: Path) -> None:
    done = _cli("--help")
    assert (
        done.returncode == 0
        and "status" in done.stdout
        and "rebuild" in done.stdout
        and "--once" in done.stdout
    )
    done = _cli("--bogus")
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "--bogus" in done.stderr
    done = _cli("status", "--offline", "--deployment", str(tmp_path / "none.json"))
    assert done.returncode == 1 and done.stderr.strip().count("\n") == 0 and "not found" in done.stderr
    done = _cli("--once", "--confirmations", "-3")
    assert done.returncode == 1 and "confirmations" in done.stderr and done.stderr.strip().count("\n") == 0
    db = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    record = tmp_path / "deployment.json"
    record.write_text(json.dumps(_compiled_record()))
    done = _cli("status", "--offline", "--json", "--database-url", db, "--deployment", str(record))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schema_revision"] is None
