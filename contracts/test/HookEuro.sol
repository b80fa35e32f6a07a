// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice What a contract registered with {HookEuro} is called with when it receives tokens.
interface ITokenReceivedHook {
    /// @notice `amount` tokens from `from` were just credited to the implementer.
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title Test euro with a receive hook (tests only)
/// @notice Like ERC-777's `tokensReceived` (or an ERC-1363 transfer-and-call made automatic): once a
/// contract registers, every transfer to it calls its `onTokenReceived` after the balances moved,
/// giving it control in the middle of the sender's transaction. Open faucet: never deploy.
contract HookEuro is ERC20 {
    /// @notice Accounts whose `onTokenReceived` is called on every transfer to them.
    mapping(address account => bool) public hasHook;

    constructor() ERC20("Hook Euro", "hEUR") {}

    /// @notice Faucet: mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Register the caller's receive hook (ERC-1820 registration, simplified).
    function registerHook() external {
        hasHook[msg.sender] = true;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && hasHook[to]) ITokenReceivedHook(to).onTokenReceived(from, value);
    }
}
