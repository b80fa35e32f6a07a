// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Test euro for public test networks, with a capped faucet
/// @notice Six decimals and EIP-2612 permit, like the euro stablecoins found on testnets. Anyone
/// may take up to `DAILY_ALLOWANCE` a day from the faucet, and the supply never exceeds
/// `SUPPLY_CAP`: an outsider can never bring enough to fill the pool's 128-bit running totals
/// (2^128 units is 3e26 times the cap), nor to swamp a test network's figures in a day.
contract TestnetEuro is ERC20, ERC20Capped, ERC20Permit {
    /// @notice What one account may take from the faucet per day: 10,000 tEUR.
    uint256 public constant DAILY_ALLOWANCE = 10_000e6;
    /// @notice The most tEUR that can ever exist: one billion.
    uint256 public constant SUPPLY_CAP = 1_000_000_000e6;

    /// @notice `account` asked for `requested` today, above what is left of its daily allowance.
    error TestnetEuroDailyAllowanceExceeded(address account, uint256 requested, uint256 left);

    /// @notice `account` took `amount` from the faucet on `day` (days since 1970).
    event FaucetDripped(address indexed account, uint256 amount, uint256 day);

    mapping(address account => mapping(uint256 day => uint256)) private _taken;

    constructor() ERC20("Test Euro", "tEUR") ERC20Capped(SUPPLY_CAP) ERC20Permit("Test Euro") {}

    /// @notice Take `amount` from the faucet, within the daily allowance and the supply cap.
    function faucet(uint256 amount) external {
        uint256 day = block.timestamp / 1 days;
        uint256 left = DAILY_ALLOWANCE - _taken[msg.sender][day];
        if (amount > left) revert TestnetEuroDailyAllowanceExceeded(msg.sender, amount, left);
        _taken[msg.sender][day] += amount;
        emit FaucetDripped(msg.sender, amount, day);
        _mint(msg.sender, amount);
    }

    /// @notice What `account` may still take from the faucet today.
    function faucetLeft(address account) external view returns (uint256) {
        return DAILY_ALLOWANCE - _taken[account][block.timestamp / 1 days];
    }

    /// @notice Six decimals, as euro stablecoins have.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
