// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The DAO's timelock: it owns the pool, membership and registry settings
/// @notice OpenZeppelin's TimelockController; the Governor proposes and cancels, anyone executes
/// once the delay has passed, and the deployer renounces its admin role when wiring is done.
contract CmirTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
