// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A malicious payment token (tests only)
/// @notice Armed, its `transfer` or `transferFrom` calls `target` with `payload` as itself BEFORE
/// moving any balance (the moment a pool's balance still holds what it is paying out), once per
/// arming; the call's failure bubbles up or is recorded. It can also answer `false` without
/// moving anything, and it calls any contract as itself through `act`, so a test can make it a
/// member, the governance or the steward of a pool it re-enters. Open faucet: never deploy.
contract HostileEuro is ERC20 {
    /// @notice Which of the token's functions re-enters.
    enum Trigger {
        None,
        Transfer,
        TransferFrom
    }

    Trigger public trigger;
    address public target;
    bytes public payload;
    bool public bubble;
    /// @notice While set, `transfer` and `transferFrom` return false and move nothing.
    bool public returnFalse;

    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;
    bytes public lastRevertData;

    constructor() ERC20("Hostile Euro", "xEUR") {}

    /// @notice Faucet: mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Call `target_` with `data` as this token; bubbles a revert up.
    function act(address target_, bytes calldata data) external returns (bytes memory returned) {
        bool ok;
        (ok, returned) = target_.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(returned, 0x20), mload(returned))
            }
        }
    }

    /// @notice On the next `trigger_`, call `target_` with `payload_`; `bubble_` reverts with its error.
    function arm(Trigger trigger_, address target_, bytes calldata payload_, bool bubble_) external {
        trigger = trigger_;
        target = target_;
        payload = payload_;
        bubble = bubble_;
    }

    function setReturnFalse(bool value) external {
        returnFalse = value;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (returnFalse) return false;
        if (trigger == Trigger.Transfer) _reenter();
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (returnFalse) return false;
        if (trigger == Trigger.TransferFrom) _reenter();
        return super.transferFrom(from, to, value);
    }

    function _reenter() private {
        trigger = Trigger.None;
        reentryAttempts += 1;
        (bool ok, bytes memory returned) = target.call(payload);
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
