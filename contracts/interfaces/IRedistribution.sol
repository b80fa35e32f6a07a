// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title CMIR redistribution pool
/// @notice Every euro that comes in (a paid relation, a contribution, a membership fee) is split
/// at once into three buckets by governed basis-point shares: members (distributed pro rata to
/// matured contribution points and claimed by each member), ESS projects (paid out only by the
/// timelock, to an active registered project) and the collective fund (spent by the steward).
/// The ESS share never goes below a floor fixed at deployment.
///
/// Points mature: points earned in an epoch (a governed length of time on the block-timestamp
/// clock) share only in inflows booked after that epoch has ended, so nobody can buy points to
/// share in money already on its way. Each epoch a matured point can earn at most the governed
/// reward cap, which never exceeds what a point costs to buy; what members cannot receive (no
/// matured points yet, above the cap, rounding) goes to the ESS bucket, which only a vote moves.
/// Every state change emits an event carrying what a mirror needs: amounts, the split, the epoch,
/// the reward-per-point accumulator after the change, and every points award.
interface IRedistribution {
    /// @notice Basis-point shares of each inflow; they sum to 10,000.
    struct Shares {
        uint16 membersBps;
        uint16 essBps;
        uint16 collectiveBps;
    }

    /// @notice Points per unit of a relation's amount, in basis points, for each party. Each is
    /// at most 10,000, their sum at most 20,000, and the payer and counterparty together keep at
    /// least the governed minimum share of the sum (a sponsor never earns more than the parties).
    struct PointWeights {
        uint16 payerBps;
        uint16 counterpartyBps;
        uint16 payerSponsorBps;
        uint16 counterpartySponsorBps;
    }

    /// @notice How one inflow was booked: `toMembers + toEss + toCollective` is the amount.
    /// `toMembers` was spread over matured points. `toEss` is the ESS share (rounded up) plus
    /// whatever of the members' share found no matured points, exceeded the epoch's reward cap or
    /// was rounding dust: `toEss - ceil(amount * essBps / 10,000)` went to ESS instead of members.
    struct Split {
        uint256 toMembers;
        uint256 toEss;
        uint256 toCollective;
    }

    /// @notice Points awarded for one relation, all pending until the epoch of the relation ends.
    /// A sponsor is 0 (and gets no points) when absent or no longer active.
    struct RelationPoints {
        address payerSponsor;
        address counterpartySponsor;
        uint256 payerPoints;
        uint256 counterpartyPoints;
        uint256 payerSponsorPoints;
        uint256 counterpartySponsorPoints;
    }

    /// @notice A member's points now: `matured` share in inflows, `pending` were earned in
    /// `pendingEpoch` and mature at `maturesAt` (0 when nothing is pending).
    struct MemberPoints {
        uint256 matured;
        uint256 pending;
        uint256 pendingEpoch;
        uint256 maturesAt;
    }

    /// @notice The epoch clock: epoch `originEpoch` starts at `origin` and every epoch from then
    /// on lasts `length` seconds; the epoch before `originEpoch` ends at `origin`.
    struct EpochClock {
        uint256 origin;
        uint256 length;
        uint256 originEpoch;
    }

    /// @notice The steward's budget: at most `amount` per `period` seconds. A period starts with
    /// the first spending after the last one ended; `spent` of it is used in the period that
    /// started at `periodStart` (0 spent when no period is running).
    struct CollectiveBudget {
        uint256 amount;
        uint256 period;
        uint256 periodStart;
        uint256 spent;
    }

    /// @notice Running totals of the pool, all in token units except points and the accumulator.
    struct Totals {
        uint256 totalReceived;
        uint256 membersReceived;
        uint256 essReceived;
        uint256 collectiveReceived;
        uint256 rewardsClaimed;
        uint256 essDisbursed;
        uint256 collectiveSpent;
        uint256 maturedPoints;
        uint256 pendingPoints;
        uint256 rewardPerPoint;
        uint256 epoch;
    }

    /// @notice The caller is not the governance (timelock).
    error RedistributionNotGovernance(address caller);
    /// @notice The caller is not the membership contract.
    error RedistributionNotMembership(address caller);
    /// @notice The caller is not the collective fund's steward.
    error RedistributionNotSteward(address caller);
    /// @notice `account` is not an active member.
    error RedistributionNotActiveMember(address account);
    /// @notice A member cannot pay a relation with itself.
    error RedistributionSelfRelation(address member);
    /// @notice The steward asked for `requested` but only `left` of this period's budget remains,
    /// until `periodEndsAt`.
    error RedistributionCollectiveBudgetExceeded(uint256 requested, uint256 left, uint256 periodEndsAt);
    /// @notice The budget period must be within [`minPeriod`, `maxPeriod`] seconds.
    error RedistributionBudgetPeriodOutOfRange(uint256 period, uint256 minPeriod, uint256 maxPeriod);
    /// @notice The funding was voted for `payoutWallet` at `walletVersion`, no longer project
    /// `projectId`'s wallet: a wallet change voids it.
    error RedistributionPayoutMismatch(uint256 projectId, address payoutWallet, uint64 walletVersion);
    /// @notice `amount` is below the governed minimum relation fee `minimum`.
    error RedistributionFeeBelowMinimum(uint256 amount, uint256 minimum);
    /// @notice An amount must be positive.
    error RedistributionZeroAmount();
    /// @notice A recipient cannot be the zero address.
    error RedistributionZeroAddress();
    /// @notice A memo is limited to `maxLength` bytes.
    error RedistributionMemoTooLong(uint256 length, uint256 maxLength);
    /// @notice Shares must sum to 10,000 basis points.
    error RedistributionSharesInvalidSum(uint256 sumBps);
    /// @notice The ESS share `essBps` is below the floor `floorBps` fixed at deployment.
    error RedistributionEssShareBelowFloor(uint16 essBps, uint16 floorBps);
    /// @notice The ESS floor cannot exceed 10,000 basis points.
    error RedistributionInvalidFloor(uint16 floorBps);
    /// @notice At least one point weight must be positive.
    error RedistributionWeightsAllZero();
    /// @notice A point weight `weightBps` is above 10,000 basis points.
    error RedistributionWeightAboveMax(uint16 weightBps, uint16 maxBps);
    /// @notice The point weights sum to `sumBps`, above the most allowed, `maxBps`.
    error RedistributionWeightSumAboveMax(uint256 sumBps, uint256 maxBps);
    /// @notice The payer and counterparty would keep `partiesBps` of the points, below the
    /// governed minimum `minimumBps`.
    error RedistributionPartiesShareBelowMin(uint256 partiesBps, uint256 minimumBps);
    /// @notice The parties' minimum share `minimumBps` is outside [`lowestBps`, 10,000].
    error RedistributionPartiesMinShareOutOfRange(uint256 minimumBps, uint256 lowestBps);
    /// @notice An epoch of `length` seconds is outside [`minLength`, `maxLength`].
    error RedistributionEpochLengthOutOfRange(uint256 length, uint256 minLength, uint256 maxLength);
    /// @notice An epoch reward cap of `capBps` is above `maxBps`, what a point costs to buy with
    /// these shares and weights (or the absolute maximum).
    error RedistributionRewardCapAboveMax(uint256 capBps, uint256 maxBps);
    /// @notice A minimum relation fee of `fee` is above the ceiling `ceiling` fixed at deployment.
    error RedistributionMinRelationFeeAboveCeiling(uint256 fee, uint256 ceiling);
    /// @notice `account` has nothing to claim.
    error RedistributionNothingToClaim(address account);
    /// @notice `requested` exceeds the `available` amount of the bucket.
    error RedistributionInsufficientFunds(uint256 requested, uint256 available);
    /// @notice No ESS project has id `projectId`.
    error RedistributionUnknownProject(uint256 projectId);
    /// @notice ESS project `projectId` is not active.
    error RedistributionProjectInactive(uint256 projectId);
    /// @notice The pool holds no tokens beyond what it has accounted for.
    error RedistributionNoSurplus();
    /// @notice An amount does not fit the pool's accounting.
    error RedistributionAmountTooLarge(uint256 amount);

    /// @notice `payer` paid `amount` for a relation with `counterparty`, `relationRef` naming it
    /// (a meeting or introduction id), in `epoch`: the points are pending until it ends.
    /// `rewardPerPoint` is the accumulator after the split.
    event RelationPaid(
        address indexed payer,
        address indexed counterparty,
        bytes32 indexed relationRef,
        uint256 amount,
        Split split,
        RelationPoints points,
        uint256 rewardPerPoint,
        uint256 epoch
    );
    /// @notice `contributor` gave `amount` with `memo`.
    event Contributed(address indexed contributor, uint256 amount, Split split, uint256 rewardPerPoint, string memo);
    /// @notice `member` paid its membership fee `amount` on joining.
    event MembershipFeeReceived(address indexed member, uint256 amount, Split split, uint256 rewardPerPoint);
    /// @notice Tokens sent to the pool without a call (`amount`) were booked, all to the ESS
    /// bucket: money that came without a relation or a contribution rewards no points.
    event SurplusAccounted(address indexed caller, uint256 amount, Split split, uint256 rewardPerPoint);
    /// @notice `member` claimed `amount`; its settled balance is 0 at accumulator `rewardPerPoint`.
    event RewardsClaimed(address indexed member, uint256 amount, uint256 rewardPerPoint);
    /// @notice `member` was excluded: its `maturedRemoved` and `pendingRemoved` points no longer
    /// earn; `accrued` stays claimable.
    event MemberRewardsFrozen(
        address indexed member, uint256 maturedRemoved, uint256 pendingRemoved, uint256 accrued, uint256 rewardPerPoint
    );
    /// @notice Governance paid `amount` of the ESS bucket to project `projectId` at `payoutWallet`.
    event EssProjectFunded(uint256 indexed projectId, address indexed payoutWallet, uint256 amount);
    /// @notice The steward spent `amount` of the collective fund, paid to `recipient`, for `memo`.
    event CollectiveSpent(address indexed steward, address indexed recipient, uint256 amount, string memo);
    /// @notice Governance changed the shares of future inflows.
    event SharesChanged(Shares previousShares, Shares newShares);
    /// @notice Governance changed the points weights of future relations.
    event PointWeightsChanged(PointWeights previousWeights, PointWeights newWeights);
    /// @notice Governance changed the minimum relation fee.
    event MinRelationFeeChanged(uint256 previousFee, uint256 newFee);
    /// @notice Governance named a new steward of the collective fund.
    event StewardChanged(address indexed previousSteward, address indexed newSteward);
    /// @notice Epochs last `newLength` seconds from epoch `originEpoch`, which starts at `origin`
    /// (the end of the epoch running when the change was made).
    event EpochLengthChanged(uint256 previousLength, uint256 newLength, uint256 originEpoch, uint256 origin);
    /// @notice Governance changed the most a matured point may earn per epoch, in basis points
    /// of a token unit per point.
    event EpochRewardCapChanged(uint256 previousCapBps, uint256 newCapBps);
    /// @notice Governance changed the least share of a relation's points its parties keep.
    event PartiesMinShareChanged(uint256 previousBps, uint256 newBps);
    /// @notice The steward's budget is now `amount` per `period` seconds; what the running period
    /// spent still counts.
    event CollectiveBudgetChanged(uint256 amount, uint256 period);

    /// @notice Pay `amount` for a relation with `counterparty`; both must be active members.
    function payRelation(address counterparty, uint256 amount, bytes32 relationRef) external;

    /// @notice `payRelation` with an EIP-2612 permit for `amount`.
    function payRelationWithPermit(
        address counterparty,
        uint256 amount,
        bytes32 relationRef,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Contribute `amount` to the pool with a `memo`; anyone may.
    function contribute(uint256 amount, string calldata memo) external;

    /// @notice Book tokens sent straight to the pool, all to the ESS bucket; anyone may call it.
    function accountSurplus() external;

    /// @notice Membership only: take `member`'s membership fee `amount` into the pool.
    function collectMembershipFee(address member, uint256 amount) external;

    /// @notice Membership only: stop `member`'s reward accrual, keeping what it earned.
    function freezeMemberRewards(address member) external;

    /// @notice Claim the caller's rewards; pays them to the caller and returns the amount.
    function claim() external returns (uint256 amount);

    /// @notice Governance only: pay `amount` of the ESS bucket to active project `projectId`,
    /// whose payout wallet must still be `payoutWallet` at `walletVersion` (what voters saw).
    function fundEssProject(uint256 projectId, address payoutWallet, uint64 walletVersion, uint256 amount) external;

    /// @notice Steward only: spend `amount` of the collective fund, paid to `recipient`, within
    /// the period's budget.
    function spendCollective(address recipient, uint256 amount, string calldata memo) external;

    /// @notice Governance only: set the shares of future inflows (ESS at least the floor).
    function setShares(Shares calldata newShares) external;

    /// @notice Governance only: set the points weights of future relations.
    function setPointWeights(PointWeights calldata newWeights) external;

    /// @notice Governance only: set the minimum relation fee.
    function setMinRelationFee(uint256 newFee) external;

    /// @notice Governance only: name the steward of the collective fund.
    function setSteward(address newSteward) external;

    /// @notice Governance only: the steward may spend at most `amount` per `period` seconds.
    function setCollectiveBudget(uint256 amount, uint256 period) external;

    /// @notice Governance only: epochs last `newLength` seconds from the end of the current one.
    function setEpochLength(uint256 newLength) external;

    /// @notice Governance only: the most a matured point may earn per epoch, in basis points of
    /// a token unit per point; at most what a point costs to buy (see {maxEpochRewardCapBps}).
    function setEpochRewardCap(uint256 newCapBps) external;

    /// @notice Governance only: the least share of a relation's points its parties keep.
    function setPartiesMinShare(uint256 newBps) external;

    /// @notice The payment token, fixed at deployment.
    function token() external view returns (address);

    /// @notice The membership contract.
    function membership() external view returns (address);

    /// @notice The ESS project registry.
    function registry() external view returns (address);

    /// @notice The governance (timelock) address.
    function governance() external view returns (address);

    /// @notice The steward of the collective fund.
    function steward() external view returns (address);

    /// @notice The steward's budget and what it has spent of this period's.
    function collectiveBudget() external view returns (CollectiveBudget memory);

    /// @notice The lowest ESS share, in basis points, fixed at deployment.
    function essFloorBps() external view returns (uint16);

    /// @notice The shares of future inflows.
    function shares() external view returns (Shares memory);

    /// @notice The points weights of future relations.
    function pointWeights() external view returns (PointWeights memory);

    /// @notice The minimum relation fee.
    function minRelationFee() external view returns (uint256);

    /// @notice The most a matured point may earn per epoch, in basis points of a token unit.
    function epochRewardCapBps() external view returns (uint256);

    /// @notice The highest reward cap the current shares and weights allow: what a point costs
    /// a buyer who holds every other matured point, `(10,000 - membersBps) / sum of weights`.
    function maxEpochRewardCapBps() external view returns (uint256);

    /// @notice The least share of a relation's points its payer and counterparty keep.
    function partiesMinShareBps() external view returns (uint256);

    /// @notice The highest minimum relation fee governance may set, fixed at deployment.
    function minRelationFeeCeiling() external view returns (uint256);

    /// @notice The current epoch (epochs are numbered from 1 at deployment).
    function epoch() external view returns (uint256);

    /// @notice The epoch clock.
    function epochClock() external view returns (EpochClock memory);

    /// @notice When `epoch_` ends (or ended, for the current epoch and the one before the origin).
    function epochEndsAt(uint256 epoch_) external view returns (uint256);

    /// @notice All running totals.
    function totals() external view returns (Totals memory);

    /// @notice What the ESS bucket holds now.
    function essAvailable() external view returns (uint256);

    /// @notice What the collective fund holds now.
    function collectiveAvailable() external view returns (uint256);

    /// @notice What the members' bucket holds now (every unclaimed reward and rounding dust).
    function membersAvailable() external view returns (uint256);

    /// @notice The contribution points of `account`, matured and pending.
    function pointsOf(address account) external view returns (uint256);

    /// @notice The matured and pending points of `account`, and when the pending ones mature.
    function memberPoints(address account) external view returns (MemberPoints memory);

    /// @notice What `account` could claim now.
    function claimableOf(address account) external view returns (uint256);
}
