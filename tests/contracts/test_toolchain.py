"""The contracts were built by the compiler pinned in ape-config.yaml, with its settings."""

from typing import Any

import cbor2
import yaml

from cmir.chain.paths import project_root

PINNED = yaml.safe_load((project_root() / "ape-config.yaml").read_text())["solidity"]


def metadata_of(runtime_code: bytes) -> dict[str, Any]:
    """The CBOR metadata solc appends to runtime bytecode (its length is the last two bytes)."""
    length = int.from_bytes(runtime_code[-2:], "big")
    decoded: dict[str, Any] = cbor2.loads(runtime_code[-2 - length : -2])
    return decoded


def test_deployed_code_was_compiled_by_the_pinned_solc(chain: Any, system: Any) -> None:
    expected = bytes(int(part) for part in PINNED["version"].split("."))
    for contract in (system.membership, system.pool, system.registry, system.governor, system.timelock):
        code = bytes(chain.provider.get_code(contract.address))
        assert metadata_of(code)["solc"] == expected, contract.contract_type.name


def test_project_manifest_records_the_pinned_compiler_and_settings(project: Any) -> None:
    compilers = [c for c in project.manifest.compilers if c.name == "solidity"]
    assert compilers, "no Solidity compiler recorded in the project manifest"
    for compiler in compilers:
        assert compiler.version.startswith(PINNED["version"] + "+")
        assert compiler.settings["evmVersion"] == PINNED["evm_version"]
        assert compiler.settings["optimizer"] == {
            "enabled": PINNED["optimize"],
            "runs": PINNED["optimization_runs"],
        }
