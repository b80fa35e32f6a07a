// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRedistribution} from "../interfaces/IRedistribution.sol";
import {IMembership} from "../interfaces/IMembership.sol";
import {HookEuro, ITokenReceivedHook} from "./HookEuro.sol";

/// @title A member contract that re-enters the pool when paid (tests only)
/// @notice It joins like any member (invited, then it calls `acceptInvitation` itself), and its
/// {HookEuro} receive hook calls the pool again while the pool is paying it: `claim`,
/// `payRelation`, `spendCollective` (when it is the steward), `contribute` or `accountSurplus`,
/// once per arming. The re-entrant call's failure either bubbles up (reverting the whole
/// transaction) or is recorded in `lastRevertData` so the outer call can complete.
contract ReenteringMember is ITokenReceivedHook {
    /// @notice What the hook calls on the pool.
    enum Reentry {
        None,
        Claim,
        PayRelation,
        SpendCollective,
        Contribute,
        AccountSurplus
    }

    IRedistribution public immutable pool;
    IMembership public immutable membership;
    IERC20 public immutable token;

    Reentry public reentry;
    bool public bubble;
    address public counterparty;
    uint256 public amount;

    /// @notice Transfers received, re-entries attempted and re-entries that succeeded.
    uint256 public hookCalls;
    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;
    /// @notice The revert data of the last swallowed re-entry.
    bytes public lastRevertData;

    constructor(IRedistribution pool_, IMembership membership_) {
        pool = pool_;
        membership = membership_;
        token = IERC20(pool_.token());
        HookEuro(address(token)).registerHook();
    }

    /// @notice Arm the hook: on the next transfer received, call `what` once (`counterparty_`
    /// and `amount_` are its arguments where it takes any); `bubble_` reverts with its error.
    function arm(Reentry what, address counterparty_, uint256 amount_, bool bubble_) external {
        reentry = what;
        counterparty = counterparty_;
        amount = amount_;
        bubble = bubble_;
    }

    function acceptInvitation(address sponsor, IMembership.MemberKind kind) external {
        membership.acceptInvitation(sponsor, kind);
    }

    function approvePool(uint256 value) external {
        token.approve(address(pool), value);
    }

    function payRelation(address counterparty_, uint256 value, bytes32 relationRef) external {
        pool.payRelation(counterparty_, value, relationRef);
    }

    function claim() external returns (uint256) {
        return pool.claim();
    }

    function spendCollective(address recipient, uint256 value, string calldata memo) external {
        pool.spendCollective(recipient, value, memo);
    }

    /// @inheritdoc ITokenReceivedHook
    function onTokenReceived(address, uint256) external {
        require(msg.sender == address(token), "not the pool token");
        hookCalls += 1;
        Reentry what = reentry;
        if (what == Reentry.None) return;
        reentry = Reentry.None;
        reentryAttempts += 1;
        bytes memory call;
        if (what == Reentry.Claim) {
            call = abi.encodeCall(IRedistribution.claim, ());
        } else if (what == Reentry.PayRelation) {
            call = abi.encodeCall(IRedistribution.payRelation, (counterparty, amount, bytes32("re-entry")));
        } else if (what == Reentry.SpendCollective) {
            call = abi.encodeCall(IRedistribution.spendCollective, (address(this), amount, "re-entry"));
        } else if (what == Reentry.Contribute) {
            call = abi.encodeCall(IRedistribution.contribute, (amount, "re-entry"));
        } else {
            call = abi.encodeCall(IRedistribution.accountSurplus, ());
        }
        (bool ok, bytes memory returned) = address(pool).call(call);
        if (ok) {
            reentrySuccesses += 1;
        } else if (bubble) {
            assembly ("memory-safe") {
                revert(add(returned, 0x20), mload(returned))
            }
        } else {
            lastRevertData = returned;
        }
    }
}
