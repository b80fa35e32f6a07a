// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRedistribution} from "../interfaces/IRedistribution.sol";

interface ICrowdEuro {
    function mint(address to, uint256 amount) external;
    function approve(address spender, uint256 amount) external returns (bool);
}

/// @title One member of a benchmark crowd (benchmarks only)
/// @notice A contract account that does what its crowd tells it: it invites, accepts its own
/// invitation, pays relations, claims, proposes and votes as itself (it is `msg.sender` for the
/// DAO's contracts), so that thousands of members act in a few transactions. It mints itself
/// test euros from the open faucet and approves the pool: never deploy it outside a local chain.
contract CrowdMember {
    address private immutable _crowd;

    constructor(address token, address pool) {
        _crowd = msg.sender;
        ICrowdEuro(token).mint(address(this), 1e30);
        ICrowdEuro(token).approve(pool, type(uint256).max);
    }

    /// @notice Call `target` with `data` as this member (only its crowd may ask); a revert is
    /// passed on as is.
    function exec(address target, bytes calldata data) external returns (bytes memory result) {
        require(msg.sender == _crowd, "not my crowd");
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}

/// @title A crowd of benchmark members (benchmarks only)
/// @notice Spawns `CrowdMember`s at CREATE2 addresses (salt = their number) and has many of them
/// act in one transaction: any call (`act`), relations paid (`pay`), claims of those who have
/// something to claim (`claimAll`). Whoever may call it commands every member: local chains only.
contract BenchCrowd {
    IRedistribution public immutable pool;
    address public immutable token;
    /// @notice Members spawned so far (the next one's salt).
    uint256 public spawned;

    constructor(IRedistribution pool_) {
        pool = pool_;
        token = pool_.token();
    }

    /// @notice Spawn `count` more members.
    function spawn(uint256 count) external {
        uint256 first = spawned;
        for (uint256 i = 0; i < count; ++i) {
            new CrowdMember{salt: bytes32(first + i)}(token, address(pool));
        }
        spawned = first + count;
    }

    /// @notice `who[i]` calls `targets[i]` with `datas[i]`, in order; any failure reverts all.
    function act(address[] calldata who, address[] calldata targets, bytes[] calldata datas) external {
        for (uint256 i = 0; i < who.length; ++i) {
            CrowdMember(who[i]).exec(targets[i], datas[i]);
        }
    }

    /// @notice `payers[i]` pays `counterparties[i]` a relation of `amounts[i]`, referenced
    /// `firstRef + i`.
    function pay(
        address[] calldata payers,
        address[] calldata counterparties,
        uint256[] calldata amounts,
        uint256 firstRef
    ) external {
        for (uint256 i = 0; i < payers.length; ++i) {
            CrowdMember(payers[i]).exec(
                address(pool),
                abi.encodeCall(IRedistribution.payRelation, (counterparties[i], amounts[i], bytes32(firstRef + i)))
            );
        }
    }

    /// @notice Each of `who` that has something to claim claims it.
    function claimAll(address[] calldata who) external {
        for (uint256 i = 0; i < who.length; ++i) {
            if (pool.claimableOf(who[i]) != 0) {
                CrowdMember(who[i]).exec(address(pool), abi.encodeCall(IRedistribution.claim, ()));
            }
        }
    }
}
