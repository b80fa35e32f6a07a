// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Test euro stablecoin with EIP-2612 permit and an open faucet (local chains only)
/// @notice Six decimals, like the euro stablecoins found on testnets.
contract TestEuro is ERC20, ERC20Permit {
    constructor() ERC20("Test Euro", "tEUR") ERC20Permit("Test Euro") {}

    /// @notice Faucet: mint `amount` to `to`. Never deploy this token outside a test network.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
