// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRedistribution} from "../interfaces/IRedistribution.sol";

/// @title Splitting inflows and accruing rewards per point
/// @notice Pure math of the pool: the three-way split, the points a relation earns, and the
/// reward-per-point accumulator that makes a distribution cost the same for any member count.
library RewardMath {
    /// @notice Basis points in a whole.
    uint256 internal constant BPS = 10_000;

    /// @notice Fixed-point scale of the reward-per-point accumulator.
    uint256 internal constant PRECISION = 1e27;

    /// @notice Split `amount` by `shares`. The ESS part is rounded up, so it is never below its
    /// share (nor the floor); the collective part rounds down; members get the remainder.
    function split(uint256 amount, IRedistribution.Shares memory shares)
        internal
        pure
        returns (IRedistribution.Split memory parts)
    {
        parts.toEss = Math.mulDiv(amount, shares.essBps, BPS, Math.Rounding.Ceil);
        parts.toCollective = Math.mulDiv(amount, shares.collectiveBps, BPS);
        // Cannot underflow: essBps + collectiveBps <= BPS, and the ceiling adds at most 1 to a
        // part that is then at most amount - toCollective.
        unchecked {
            parts.toMembers = amount - parts.toEss - parts.toCollective;
        }
    }

    /// @notice Points earned for a relation of `amount` at weight `weightBps`.
    function points(uint256 amount, uint16 weightBps) internal pure returns (uint256) {
        return Math.mulDiv(amount, weightBps, BPS);
    }

    /// @notice Spread `pending` over `totalPoints`: the accumulator increase, and what could not
    /// be spread (carried to the next distribution, so no unit is lost to rounding). The part
    /// counted as spread is rounded up, so members can never be owed more than was recorded as
    /// distributed: the pool stays solvent and the difference is bounded dust.
    function distribute(uint256 pending, uint256 totalPoints)
        internal
        pure
        returns (uint256 increase, uint256 carry)
    {
        if (totalPoints == 0) return (0, pending);
        increase = Math.mulDiv(pending, PRECISION, totalPoints);
        carry = pending - Math.mulDiv(increase, totalPoints, PRECISION, Math.Rounding.Ceil);
    }

    /// @notice Rewards earned by `points` while the accumulator went from `paid` to `current`.
    function earned(uint256 points_, uint256 current, uint256 paid) internal pure returns (uint256) {
        return Math.mulDiv(points_, current - paid, PRECISION);
    }
}
