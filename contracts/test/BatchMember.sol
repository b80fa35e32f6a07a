// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRedistribution} from "../interfaces/IRedistribution.sol";
import {IMembership} from "../interfaces/IMembership.sol";

interface IFaucetToken {
    function mint(address to, uint256 amount) external;
    function approve(address spender, uint256 amount) external returns (bool);
}

/// @title A member contract that calls the pool many times per transaction (benchmarks only)
/// @notice Generates a large, varied stream of the pool's real events quickly: each `run` pays
/// relations to the given counterparties (every call emits `RelationPaid`), contributes (emits
/// `Contributed`) and now and then claims its rewards (emits `RewardsClaimed`), all from one
/// transaction. It joins like any member: invited by a member, then it accepts itself (`join`).
/// It pays with the test euro's open faucet: never deploy it outside a local chain.
contract BatchMember {
    IRedistribution public immutable pool;
    IMembership public immutable membership;

    /// @notice How many pool calls this contract has made, so references never repeat.
    uint256 public calls;

    constructor(IRedistribution pool_, IMembership membership_) {
        pool = pool_;
        membership = membership_;
        IFaucetToken token = IFaucetToken(pool_.token());
        token.mint(address(this), 1e30);
        token.approve(address(pool_), type(uint256).max);
    }

    /// @notice Accept `sponsor`'s invitation as `kind` (the membership fee, if any, is approved).
    function join(address sponsor, IMembership.MemberKind kind) external {
        membership.acceptInvitation(sponsor, kind);
    }

    /// @notice Make `count` pool calls: of every 8, one contribution and seven relations paid to
    /// `counterparties` in turn; every `claimEvery` calls (0: never) a claim when there is
    /// something to claim. Amounts vary with the call number, from `baseAmount` up.
    function run(address[] calldata counterparties, uint256 count, uint256 baseAmount, uint256 claimEvery)
        external
    {
        uint256 n = calls;
        uint256 k = counterparties.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 amount = baseAmount + (n % 997) * 1_000;
            if (claimEvery != 0 && n % claimEvery == claimEvery - 1 && pool.claimableOf(address(this)) != 0) {
                pool.claim();
            } else if (n % 8 == 7 || k == 0) {
                pool.contribute(amount, "bench");
            } else {
                pool.payRelation(counterparties[n % k], amount, keccak256(abi.encode(address(this), n)));
            }
            ++n;
        }
        calls = n;
    }
}
