// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRedistribution} from "../interfaces/IRedistribution.sol";

/// @title Splitting inflows, accruing rewards per matured point, and the epoch clock
/// @notice Pure math of the pool: the three-way split, the points a relation earns, the capped
/// reward-per-point accumulator that makes a distribution cost the same for any member count,
/// and which epoch a timestamp falls in. Amounts are below 2^128 (the pool checks them first),
/// points below 2^104 and the accumulator below 2^128, so every product here fits 256 bits and
/// plain arithmetic (checked) does what `mulDiv` would, for less gas on the hot path.
library RewardMath {
    /// @notice Basis points in a whole.
    uint256 internal constant BPS = 10_000;

    /// @notice Fixed-point scale of the reward-per-point accumulator.
    uint256 internal constant PRECISION = 1e27;

    /// @notice Split `amount` by `shares`. The ESS part is rounded up, so it is never below its
    /// share (nor the floor); the collective part rounds down; members get the remainder, of
    /// which {distribute} decides what matured points receive.
    function split(uint256 amount, IRedistribution.Shares memory shares)
        internal
        pure
        returns (IRedistribution.Split memory parts)
    {
        parts.toEss = Math.ceilDiv(amount * shares.essBps, BPS);
        parts.toCollective = amount * shares.collectiveBps / BPS;
        // Cannot underflow: essBps + collectiveBps <= BPS, and the ceiling adds at most 1 to a
        // part that is then at most amount - toCollective.
        unchecked {
            parts.toMembers = amount - parts.toEss - parts.toCollective;
        }
    }

    /// @notice Points earned for a relation of `amount` at weight `weightBps`.
    function points(uint256 amount, uint16 weightBps) internal pure returns (uint256) {
        return amount * weightBps / BPS;
    }

    /// @notice Spread `toMembers` over `maturedPoints`, raising the accumulator by at most
    /// `headroom`: the increase and the part counted as distributed. The distributed part is
    /// rounded up from the increase, so members can never be owed more than was recorded (the
    /// pool stays solvent and the difference is bounded dust); it is at most `toMembers`, whose
    /// rest the pool sends elsewhere. With no matured points nothing is distributed.
    function distribute(uint256 toMembers, uint256 maturedPoints, uint256 headroom)
        internal
        pure
        returns (uint256 increase, uint256 distributed)
    {
        if (maturedPoints == 0) return (0, 0);
        increase = Math.min(toMembers * PRECISION / maturedPoints, headroom);
        distributed = Math.ceilDiv(increase * maturedPoints, PRECISION);
    }

    /// @notice The accumulator increase a reward cap of `capBps` (token units per point, in basis
    /// points) allows in one epoch.
    function capIncrease(uint256 capBps) internal pure returns (uint256) {
        return capBps * PRECISION / BPS;
    }

    /// @notice Rewards earned by `points` while the accumulator went from `paid` to `current`.
    function earned(uint256 points_, uint256 current, uint256 paid) internal pure returns (uint256) {
        return points_ * (current - paid) / PRECISION;
    }

    /// @notice The epoch of `timestamp` on a clock where epoch `originEpoch` starts at `origin`
    /// and each lasts `length` seconds; before `origin` it is the epoch before `originEpoch`.
    function epochAt(uint256 timestamp, uint256 origin, uint256 length, uint256 originEpoch)
        internal
        pure
        returns (uint256)
    {
        if (timestamp < origin) return originEpoch - 1;
        return originEpoch + (timestamp - origin) / length;
    }

    /// @notice When `epoch` ends on that clock (for an epoch before `originEpoch`: no later than
    /// `origin`, which ends the one just before it).
    function epochEnd(uint256 epoch, uint256 origin, uint256 length, uint256 originEpoch)
        internal
        pure
        returns (uint256)
    {
        if (epoch < originEpoch) return origin;
        return origin + (epoch - originEpoch + 1) * length;
    }
}
