// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRedistribution} from "./interfaces/IRedistribution.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IEssProjectRegistry} from "./interfaces/IEssProjectRegistry.sol";
import {RewardMath} from "./libraries/RewardMath.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

/// @title CMIR redistribution pool
/// @notice See {IRedistribution}. Members' rewards use a reward-per-point accumulator over matured
/// points: an inflow updates a handful of words whatever the member count or the number of
/// epochs gone by, and each member's share is settled when its points change or it claims (pull
/// payments).
/// @dev Maturity without loops: the points earned in the current epoch are kept apart, in total
/// and per member. The first booking of a later epoch adds the total to the matured points and
/// records the accumulator at that moment for the epoch (`_maturedAt`); a member's pending
/// points start earning from that recorded value when it is next settled. Nothing is booked
/// between an epoch's end and that first booking, so the current accumulator stands in for the
/// record while it is not yet written.
// Epochs run on the block timestamp by design, as the Governor's ERC-6372 clock does: a proposer
// of a block can shift its time by seconds, which can only move a booking across an epoch's end,
// that is, decide whether points earned seconds before share in it. Slither's timestamp finding
// then taints every comparison downstream of the epoch; it is accepted for the whole contract.
// slither-disable-start timestamp
contract Redistribution is IRedistribution, ReentrancyGuardTransient, ERC2771Context {
    using SafeERC20 for IERC20;

    /// @notice Longest memo accepted, in bytes, so that no call carries unbounded data.
    uint256 public constant MAX_MEMO_LENGTH = 280;
    /// @notice Highest weight of one party, in basis points.
    uint16 public constant MAX_WEIGHT_BPS = 10_000;
    /// @notice Highest sum of the four weights, in basis points.
    uint256 public constant MAX_WEIGHT_SUM_BPS = 20_000;
    /// @notice The parties' minimum share can never go below half: one level of sponsorship
    /// never earns more than the relation itself (no pyramid).
    uint16 public constant LOWEST_PARTIES_MIN_SHARE_BPS = 5_000;
    /// @notice Shortest epoch, in seconds.
    uint256 public constant MIN_EPOCH_LENGTH = 1;
    /// @notice Longest epoch, in seconds.
    uint256 public constant MAX_EPOCH_LENGTH = 90 days;
    /// @notice Highest epoch reward cap whatever the shares and weights: one token unit per point.
    uint256 public constant MAX_EPOCH_REWARD_CAP_BPS = 10_000;

    /// @dev Governed parameters, packed in one word read once per inflow.
    struct Params {
        uint16 membersBps;
        uint16 essBps;
        uint16 collectiveBps;
        uint16 payerBps;
        uint16 counterpartyBps;
        uint16 payerSponsorBps;
        uint16 counterpartySponsorBps;
        uint16 epochRewardCapBps;
        uint128 minRelationFee;
    }

    /// @dev A member's reward position: `accrued` is settled and unclaimed as of
    /// `rewardPerPointPaid`, which applies to `matured`; `pending` was earned in `pendingEpoch`.
    /// Two words: 104 bits hold any member's points up to 2e31 token units.
    struct Account {
        uint128 accrued;
        uint128 rewardPerPointPaid;
        uint104 matured;
        uint104 pending;
        uint48 pendingEpoch;
    }

    /// @dev All points: `pending` were earned in `epoch`, the epoch of the last booking.
    struct PointTotals {
        uint104 matured;
        uint104 pending;
        uint48 epoch;
    }

    /// @dev The accumulator now and when the current epoch's first booking was made: an epoch
    /// may raise it by the reward cap at most. The cap bounds it to 128 bits for 3e11 epochs.
    struct Accumulator {
        uint128 rewardPerPoint;
        uint128 atEpochStart;
    }

    /// @dev What the pool and its ESS bucket have received in all.
    struct Received {
        uint128 total;
        uint128 ess;
    }

    /// @dev What the collective bucket has received, packed with the epoch clock that every
    /// booking reads: one word for both.
    struct CollectiveAndClock {
        uint128 collectiveReceived;
        uint40 origin;
        uint32 length;
        uint48 originEpoch;
    }

    /// @dev The steward's budget, `amount` per `period` seconds, and what it `spent` in the
    /// period that started at `periodStart`: one word.
    struct Budget {
        uint88 amount;
        uint88 spent;
        uint32 period;
        uint40 periodStart;
    }

    /// @dev What has left the members' and ESS buckets.
    struct Outflows {
        uint128 rewardsClaimed;
        uint128 essDisbursed;
    }

    IERC20 private immutable _token;
    IMembership private immutable _membership;
    IEssProjectRegistry private immutable _registry;
    address private immutable _governance;
    uint16 private immutable _essFloorBps;
    uint256 private immutable _minRelationFeeCeiling;

    Params private _params;
    Received private _received;
    CollectiveAndClock private _collectiveAndClock;
    PointTotals private _pointTotals;
    Accumulator private _accumulator;
    Outflows private _outflows;
    uint256 private _collectiveSpent;
    Budget private _budget;
    address private _steward;
    uint16 private _partiesMinShareBps;
    mapping(address account => Account) private _accounts;
    mapping(uint256 epoch => uint256) private _maturedAt;

    /// @notice Everything the pool is deployed with; `essFloorBps` and `minRelationFeeCeiling`
    /// can never change afterwards.
    struct Config {
        address token;
        address membership;
        address registry;
        address governance;
        address steward;
        uint16 essFloorBps;
        Shares shares;
        PointWeights weights;
        uint256 minRelationFee;
        uint256 minRelationFeeCeiling;
        uint16 partiesMinShareBps;
        uint256 epochLength;
        uint256 epochRewardCapBps;
        uint256 collectiveBudget;
        uint256 collectiveBudgetPeriod;
    }

    /// @notice Shortest and longest period of the steward's budget.
    uint256 public constant MIN_BUDGET_PERIOD = 1 hours;
    uint256 public constant MAX_BUDGET_PERIOD = 365 days;

    modifier onlyGovernance() {
        _checkGovernance();
        _;
    }

    modifier onlyMembership() {
        if (msg.sender != address(_membership)) revert RedistributionNotMembership(msg.sender);
        _;
    }

    constructor(Config memory config, address forwarder) ERC2771Context(forwarder) {
        if (
            config.token == address(0) || config.membership == address(0) || config.registry == address(0)
                || config.governance == address(0) || config.steward == address(0)
        ) revert RedistributionZeroAddress();
        if (config.essFloorBps > RewardMath.BPS) revert RedistributionInvalidFloor(config.essFloorBps);
        _token = IERC20(config.token);
        _membership = IMembership(config.membership);
        _registry = IEssProjectRegistry(config.registry);
        _governance = config.governance;
        _essFloorBps = config.essFloorBps;
        if (config.minRelationFeeCeiling > type(uint128).max) {
            revert RedistributionAmountTooLarge(config.minRelationFeeCeiling);
        }
        _minRelationFeeCeiling = config.minRelationFeeCeiling;
        _checkEpochLength(config.epochLength);
        _collectiveAndClock =
            CollectiveAndClock(0, uint40(block.timestamp), uint32(config.epochLength), 1);
        _pointTotals.epoch = 1;
        emit EpochLengthChanged(0, config.epochLength, 1, block.timestamp);
        _setPartiesMinShare(config.partiesMinShareBps);
        _setShares(config.shares);
        _setPointWeights(config.weights);
        _setEpochRewardCap(config.epochRewardCapBps);
        _setMinRelationFee(config.minRelationFee);
        _steward = config.steward;
        emit StewardChanged(address(0), config.steward);
        _setCollectiveBudget(config.collectiveBudget, config.collectiveBudgetPeriod);
    }

    // ------------------------------------------------------------------ inflows

    /// @inheritdoc IRedistribution
    function payRelation(address counterparty, uint256 amount, bytes32 relationRef) external nonReentrant {
        _payRelation(_msgSender(), counterparty, amount, relationRef);
    }

    /// @inheritdoc IRedistribution
    function payRelationWithPermit(
        address counterparty,
        uint256 amount,
        bytes32 relationRef,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        address payer = _msgSender();
        _permit(payer, amount, deadline, v, r, s);
        _payRelation(payer, counterparty, amount, relationRef);
    }

    /// @inheritdoc IRedistribution
    function contribute(uint256 amount, string calldata memo) external nonReentrant {
        _contribute(_msgSender(), amount, memo);
    }

    /// @inheritdoc IRedistribution
    function accountSurplus() external nonReentrant {
        uint256 balance = _token.balanceOf(address(this));
        uint256 accounted = _accounted();
        if (balance <= accounted) revert RedistributionNoSurplus();
        uint256 amount = balance - accounted;
        // Money that came without a relation or a contribution rewards no points, whenever it
        // is booked: all of it goes to the ESS bucket, which only a vote moves. So the moment
        // a caller chooses to book it gives nobody anything.
        Split memory parts = Split(0, amount, 0);
        (, PointTotals memory tally, Accumulator memory acc) = _advance();
        _book(amount, parts, tally, acc);
        emit SurplusAccounted(msg.sender, amount, parts, acc.rewardPerPoint);
    }

    /// @inheritdoc IRedistribution
    function collectMembershipFee(address member, uint256 amount) external onlyMembership nonReentrant {
        if (amount == 0) revert RedistributionZeroAmount();
        (Split memory parts, uint256 rewardPerPoint) = _receive(amount, _params);
        emit MembershipFeeReceived(member, amount, parts, rewardPerPoint);
        // `member` is the account accepting its own invitation in Membership, the only caller:
        // it approved the pool for its fee, so this is not an arbitrary `from`.
        // slither-disable-next-line arbitrary-send-erc20
        _token.safeTransferFrom(member, address(this), amount);
    }

    // ------------------------------------------------------------------ members

    /// @inheritdoc IRedistribution
    function claim() external nonReentrant returns (uint256 amount) {
        // No epoch roll-over here: settling reads what a roll-over would record (see the
        // contract's notes), so a claim never pays for it.
        address member = _msgSender();
        uint256 rewardPerPoint = _accumulator.rewardPerPoint;
        Account memory account = _settled(
            _accounts[member], rewardPerPoint, _currentEpoch(_collectiveAndClock), _pointTotals.epoch
        );
        amount = account.accrued;
        // What the pool owes the member, not a token balance anyone can move.
        // slither-disable-next-line incorrect-equality
        if (amount == 0) revert RedistributionNothingToClaim(member);
        account.accrued = 0;
        _accounts[member] = account;
        // Cannot overflow: claims never exceed what was received, which fits 128 bits.
        unchecked {
            _outflows.rewardsClaimed += uint128(amount);
        }
        emit RewardsClaimed(member, amount, rewardPerPoint);
        _token.safeTransfer(member, amount);
    }

    /// @inheritdoc IRedistribution
    function freezeMemberRewards(address member) external onlyMembership {
        (uint256 current, PointTotals memory tally, Accumulator memory acc) = _advance();
        Account memory account = _settled(_accounts[member], acc.rewardPerPoint, current, tally.epoch);
        uint104 maturedRemoved = account.matured;
        uint104 pendingRemoved = account.pending;
        // Cannot underflow: the totals are the sums of every account's points, and the
        // account's pending points belong to the current epoch after settling.
        unchecked {
            tally.matured -= maturedRemoved;
            tally.pending -= pendingRemoved;
        }
        account.matured = 0;
        account.pending = 0;
        _accounts[member] = account;
        _pointTotals = tally;
        _accumulator = acc;
        emit MemberRewardsFrozen(member, maturedRemoved, pendingRemoved, account.accrued, acc.rewardPerPoint);
    }

    // ------------------------------------------------------------------ outflows

    /// @inheritdoc IRedistribution
    function fundEssProject(uint256 projectId, address payoutWallet, uint64 walletVersion, uint256 amount)
        external
        onlyGovernance
        nonReentrant
    {
        if (amount == 0) revert RedistributionZeroAmount();
        (address wallet, bool active, uint64 version) = _registry.payoutOf(projectId);
        if (wallet == address(0)) revert RedistributionUnknownProject(projectId);
        // Voters saw this wallet: any change since voids the funding.
        if (wallet != payoutWallet || version != walletVersion) {
            revert RedistributionPayoutMismatch(projectId, payoutWallet, walletVersion);
        }
        if (!active) revert RedistributionProjectInactive(projectId);
        uint256 available = essAvailable();
        if (amount > available) revert RedistributionInsufficientFunds(amount, available);
        // Cannot overflow: bounded by the ESS bucket received, which fits 128 bits.
        unchecked {
            _outflows.essDisbursed += uint128(amount);
        }
        emit EssProjectFunded(projectId, wallet, amount);
        _token.safeTransfer(wallet, amount);
    }

    /// @inheritdoc IRedistribution
    function spendCollective(address recipient, uint256 amount, string calldata memo) external nonReentrant {
        if (msg.sender != _steward) revert RedistributionNotSteward(msg.sender);
        if (recipient == address(0)) revert RedistributionZeroAddress();
        if (amount == 0) revert RedistributionZeroAmount();
        _checkMemo(memo);
        uint256 available = collectiveAvailable();
        if (amount > available) revert RedistributionInsufficientFunds(amount, available);
        Budget memory budget = _budget;
        if (block.timestamp >= uint256(budget.periodStart) + budget.period) {
            budget.periodStart = uint40(block.timestamp);
            budget.spent = 0;
        }
        // A budget lowered below what the period already spent leaves nothing.
        uint256 left = budget.spent < budget.amount ? budget.amount - budget.spent : 0;
        if (amount > left) {
            revert RedistributionCollectiveBudgetExceeded(amount, left, uint256(budget.periodStart) + budget.period);
        }
        // Fits: spent + amount <= the budget amount, which fits 88 bits.
        budget.spent += uint88(amount);
        _budget = budget;
        _collectiveSpent += amount;
        emit CollectiveSpent(msg.sender, recipient, amount, memo);
        _token.safeTransfer(recipient, amount);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IRedistribution
    function setShares(Shares calldata newShares) external onlyGovernance {
        _setShares(newShares);
    }

    /// @inheritdoc IRedistribution
    function setPointWeights(PointWeights calldata newWeights) external onlyGovernance {
        _setPointWeights(newWeights);
    }

    /// @inheritdoc IRedistribution
    function setMinRelationFee(uint256 newFee) external onlyGovernance {
        _setMinRelationFee(newFee);
    }

    /// @inheritdoc IRedistribution
    function setSteward(address newSteward) external onlyGovernance {
        if (newSteward == address(0)) revert RedistributionZeroAddress();
        emit StewardChanged(_steward, newSteward);
        _steward = newSteward;
    }

    /// @inheritdoc IRedistribution
    function setCollectiveBudget(uint256 amount, uint256 period) external onlyGovernance {
        _setCollectiveBudget(amount, period);
    }

    /// @inheritdoc IRedistribution
    function setEpochLength(uint256 newLength) external onlyGovernance {
        _checkEpochLength(newLength);
        CollectiveAndClock memory clock = _collectiveAndClock;
        uint256 previous = clock.length;
        // The running epoch keeps its end, so no pending point matures earlier than announced;
        // the new length applies from the next epoch. A change already waiting for its origin
        // only swaps the length.
        if (block.timestamp >= clock.origin) {
            uint256 current = _currentEpoch(clock);
            uint256 end = RewardMath.epochEnd(current, clock.origin, clock.length, clock.originEpoch);
            clock.origin = uint40(end);
            clock.originEpoch = uint48(current + 1);
        }
        clock.length = uint32(newLength);
        _collectiveAndClock = clock;
        emit EpochLengthChanged(previous, newLength, clock.originEpoch, clock.origin);
    }

    /// @inheritdoc IRedistribution
    function setEpochRewardCap(uint256 newCapBps) external onlyGovernance {
        _setEpochRewardCap(newCapBps);
    }

    /// @inheritdoc IRedistribution
    function setPartiesMinShare(uint256 newBps) external onlyGovernance {
        _setPartiesMinShare(newBps);
        Params memory p = _params;
        _checkPartiesShare(p.payerBps, p.counterpartyBps, p.payerSponsorBps, p.counterpartySponsorBps);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRedistribution
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRedistribution
    function membership() external view returns (address) {
        return address(_membership);
    }

    /// @inheritdoc IRedistribution
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IRedistribution
    function governance() external view returns (address) {
        return _governance;
    }

    /// @inheritdoc IRedistribution
    function steward() external view returns (address) {
        return _steward;
    }

    /// @inheritdoc IRedistribution
    function collectiveBudget() external view returns (CollectiveBudget memory budget) {
        Budget memory b = _budget;
        budget.amount = b.amount;
        budget.period = b.period;
        if (block.timestamp < uint256(b.periodStart) + b.period) {
            budget.periodStart = b.periodStart;
            budget.spent = b.spent;
        }
    }

    /// @inheritdoc IRedistribution
    function essFloorBps() external view returns (uint16) {
        return _essFloorBps;
    }

    /// @inheritdoc IRedistribution
    function shares() public view returns (Shares memory) {
        Params memory p = _params;
        return Shares(p.membersBps, p.essBps, p.collectiveBps);
    }

    /// @inheritdoc IRedistribution
    function pointWeights() public view returns (PointWeights memory) {
        Params memory p = _params;
        return PointWeights(p.payerBps, p.counterpartyBps, p.payerSponsorBps, p.counterpartySponsorBps);
    }

    /// @inheritdoc IRedistribution
    function minRelationFee() external view returns (uint256) {
        return _params.minRelationFee;
    }

    /// @inheritdoc IRedistribution
    function minRelationFeeCeiling() external view returns (uint256) {
        return _minRelationFeeCeiling;
    }

    /// @inheritdoc IRedistribution
    function epochRewardCapBps() external view returns (uint256) {
        return _params.epochRewardCapBps;
    }

    /// @inheritdoc IRedistribution
    function maxEpochRewardCapBps() public view returns (uint256) {
        Params memory p = _params;
        return _maxRewardCap(
            p.membersBps, uint256(p.payerBps) + p.counterpartyBps + p.payerSponsorBps + p.counterpartySponsorBps
        );
    }

    /// @inheritdoc IRedistribution
    function partiesMinShareBps() external view returns (uint256) {
        return _partiesMinShareBps;
    }

    /// @inheritdoc IRedistribution
    function epoch() external view returns (uint256) {
        return _currentEpoch(_collectiveAndClock);
    }

    /// @inheritdoc IRedistribution
    function epochClock() external view returns (EpochClock memory) {
        CollectiveAndClock memory clock = _collectiveAndClock;
        return EpochClock(clock.origin, clock.length, clock.originEpoch);
    }

    /// @inheritdoc IRedistribution
    function epochEndsAt(uint256 epoch_) public view returns (uint256) {
        CollectiveAndClock memory clock = _collectiveAndClock;
        return RewardMath.epochEnd(epoch_, clock.origin, clock.length, clock.originEpoch);
    }

    /// @inheritdoc IRedistribution
    function totals() external view returns (Totals memory t) {
        Received memory received = _received;
        CollectiveAndClock memory clock = _collectiveAndClock;
        PointTotals memory points = _pointTotals;
        t.totalReceived = received.total;
        t.essReceived = received.ess;
        t.collectiveReceived = clock.collectiveReceived;
        t.membersReceived = t.totalReceived - t.essReceived - t.collectiveReceived;
        t.rewardsClaimed = _outflows.rewardsClaimed;
        t.essDisbursed = _outflows.essDisbursed;
        t.collectiveSpent = _collectiveSpent;
        t.epoch = _currentEpoch(clock);
        // As a booking now would see them: the last booking's pending points have matured if
        // its epoch has ended.
        if (points.epoch < t.epoch) {
            t.maturedPoints = uint256(points.matured) + points.pending;
        } else {
            t.maturedPoints = points.matured;
            t.pendingPoints = points.pending;
        }
        t.rewardPerPoint = _accumulator.rewardPerPoint;
    }

    /// @inheritdoc IRedistribution
    function essAvailable() public view returns (uint256) {
        return uint256(_received.ess) - _outflows.essDisbursed;
    }

    /// @inheritdoc IRedistribution
    function collectiveAvailable() public view returns (uint256) {
        return uint256(_collectiveAndClock.collectiveReceived) - _collectiveSpent;
    }

    /// @inheritdoc IRedistribution
    function membersAvailable() external view returns (uint256) {
        Received memory received = _received;
        return uint256(received.total) - received.ess - _collectiveAndClock.collectiveReceived
            - _outflows.rewardsClaimed;
    }

    /// @inheritdoc IRedistribution
    function pointsOf(address account) external view returns (uint256) {
        Account memory a = _accounts[account];
        return uint256(a.matured) + a.pending;
    }

    /// @inheritdoc IRedistribution
    function memberPoints(address account) external view returns (MemberPoints memory points) {
        Account memory a = _settled(
            _accounts[account], _accumulator.rewardPerPoint, _currentEpoch(_collectiveAndClock), _pointTotals.epoch
        );
        points.matured = a.matured;
        points.pending = a.pending;
        if (a.pending != 0) {
            points.pendingEpoch = a.pendingEpoch;
            points.maturesAt = epochEndsAt(a.pendingEpoch);
        }
    }

    /// @inheritdoc IRedistribution
    function claimableOf(address account) external view returns (uint256) {
        return _settled(
            _accounts[account], _accumulator.rewardPerPoint, _currentEpoch(_collectiveAndClock), _pointTotals.epoch
        ).accrued;
    }

    // ------------------------------------------------------------------ internals

    function _payRelation(address payer, address counterparty, uint256 amount, bytes32 relationRef) private {
        Params memory p = _params;
        if (amount == 0) revert RedistributionZeroAmount();
        if (amount > type(uint128).max) revert RedistributionAmountTooLarge(amount);
        if (amount < p.minRelationFee) revert RedistributionFeeBelowMinimum(amount, p.minRelationFee);
        if (counterparty == payer) revert RedistributionSelfRelation(payer);
        (bool payerActive, bool counterpartyActive, address payerSponsor, address counterpartySponsor) =
            _membership.relationParties(payer, counterparty);
        if (!payerActive) revert RedistributionNotActiveMember(payer);
        if (!counterpartyActive) revert RedistributionNotActiveMember(counterparty);

        (uint256 current, PointTotals memory tally, Accumulator memory acc) = _advance();
        // The points are pending in the current epoch: this inflow, and every other booked
        // before the epoch ends, is spread over the points matured before.
        RelationPoints memory awarded = RelationPoints(payerSponsor, counterpartySponsor, 0, 0, 0, 0);
        awarded.payerPoints = _award(payer, amount, p.payerBps, acc.rewardPerPoint, current);
        awarded.counterpartyPoints = _award(counterparty, amount, p.counterpartyBps, acc.rewardPerPoint, current);
        if (payerSponsor != address(0)) {
            awarded.payerSponsorPoints =
                _award(payerSponsor, amount, p.payerSponsorBps, acc.rewardPerPoint, current);
        }
        if (counterpartySponsor != address(0)) {
            awarded.counterpartySponsorPoints =
                _award(counterpartySponsor, amount, p.counterpartySponsorBps, acc.rewardPerPoint, current);
        }
        tally.pending = _toUint104(
            uint256(tally.pending) + awarded.payerPoints + awarded.counterpartyPoints + awarded.payerSponsorPoints
                + awarded.counterpartySponsorPoints
        );
        Split memory parts = _distribute(amount, p, tally, acc);
        _book(amount, parts, tally, acc);
        emit RelationPaid(payer, counterparty, relationRef, amount, parts, awarded, acc.rewardPerPoint, current);
        _token.safeTransferFrom(payer, address(this), amount);
    }

    function _contribute(address payer, uint256 amount, string calldata memo) private {
        if (amount == 0) revert RedistributionZeroAmount();
        _checkMemo(memo);
        (Split memory parts, uint256 rewardPerPoint) = _receive(amount, _params);
        emit Contributed(payer, amount, parts, rewardPerPoint, memo);
        _token.safeTransferFrom(payer, address(this), amount);
    }

    /// @dev Book an inflow that awards no points; returns its split and the accumulator after.
    function _receive(uint256 amount, Params memory p) private returns (Split memory parts, uint256 rewardPerPoint) {
        if (amount > type(uint128).max) revert RedistributionAmountTooLarge(amount);
        (, PointTotals memory tally, Accumulator memory acc) = _advance();
        parts = _distribute(amount, p, tally, acc);
        _book(amount, parts, tally, acc);
        rewardPerPoint = acc.rewardPerPoint;
    }

    /// @dev Split `amount` by the shares and spread the members' part over the matured points,
    /// raising `acc` within the epoch's cap; what they cannot receive goes to ESS.
    function _distribute(uint256 amount, Params memory p, PointTotals memory tally, Accumulator memory acc)
        private
        pure
        returns (Split memory parts)
    {
        parts = RewardMath.split(amount, Shares(p.membersBps, p.essBps, p.collectiveBps));
        uint256 ceiling = uint256(acc.atEpochStart) + RewardMath.capIncrease(p.epochRewardCapBps);
        // Cannot underflow: the accumulator only rises within an epoch up to this ceiling, and
        // the cap only changes through governance, checked below when it was lowered.
        uint256 headroom = ceiling > acc.rewardPerPoint ? ceiling - acc.rewardPerPoint : 0;
        (uint256 increase, uint256 distributed) = RewardMath.distribute(parts.toMembers, tally.matured, headroom);
        // Cannot overflow or underflow: `distributed` is at most `toMembers` (RewardMath), and
        // the increase is at most the headroom below a ceiling of 128 bits' worth (see
        // Accumulator), checked when stored.
        unchecked {
            parts.toEss += parts.toMembers - distributed;
            parts.toMembers = distributed;
        }
        acc.rewardPerPoint = _toUint128(acc.rewardPerPoint + increase);
    }

    /// @dev Store an inflow's split, the point totals and the accumulator.
    function _book(uint256 amount, Split memory parts, PointTotals memory tally, Accumulator memory acc) private {
        Received memory received = _received;
        received.total = _toUint128(received.total + amount);
        // Cannot overflow: each part is at most the amount, and the total fits 128 bits.
        unchecked {
            received.ess += uint128(parts.toEss);
            _collectiveAndClock.collectiveReceived += uint128(parts.toCollective);
        }
        _received = received;
        _pointTotals = tally;
        _accumulator = acc;
    }

    /// @dev Roll the point totals over to the current epoch if it is not the last booking's:
    /// the last booking's pending points mature, at the accumulator now. Returns the current
    /// epoch, the totals and the accumulator: the caller must store both (one write each).
    function _advance() private returns (uint256 current, PointTotals memory tally, Accumulator memory acc) {
        current = _currentEpoch(_collectiveAndClock);
        tally = _pointTotals;
        acc = _accumulator;
        // Epoch numbers, not balances: equal means nothing to roll over.
        // slither-disable-next-line incorrect-equality
        if (current == tally.epoch) return (current, tally, acc);
        if (tally.pending != 0) {
            _maturedAt[tally.epoch] = acc.rewardPerPoint;
            // Cannot overflow: matured + pending is the points awarded in all, each award
            // checked to fit.
            unchecked {
                tally.matured += tally.pending;
            }
            tally.pending = 0;
        }
        tally.epoch = uint48(current);
        acc.atEpochStart = acc.rewardPerPoint;
    }

    /// @dev Settle `member` at `rewardPerPoint` in epoch `current`, then add the points a
    /// relation of `amount` earns at `weightBps`, pending until `current` ends; returns them.
    function _award(address member, uint256 amount, uint16 weightBps, uint256 rewardPerPoint, uint256 current)
        private
        returns (uint256 points)
    {
        points = RewardMath.points(amount, weightBps);
        // A zero weight or a tiny amount earns nothing: skip the settlement's storage writes.
        // slither-disable-next-line incorrect-equality
        if (points == 0) return 0;
        Account storage stored = _accounts[member];
        // Point counts and epoch numbers, not balances.
        // slither-disable-next-line incorrect-equality
        if (stored.pending == 0 || stored.pendingEpoch == current) {
            // Nothing matures, so the matured points and what they earned stay as they are: only
            // the points word changes (settling is needed only when matured points change).
            stored.pending = _toUint104(uint256(stored.pending) + points);
            stored.pendingEpoch = uint48(current);
            return points;
        }
        // After `_advance`, the last booking's epoch is the current one.
        Account memory account = _settled(stored, rewardPerPoint, current, current);
        account.pending = _toUint104(points);
        account.pendingEpoch = uint48(current);
        _accounts[member] = account;
    }

    /// @dev `account` settled at `rewardPerPoint` in epoch `current`, `lastEpoch` being the epoch
    /// of the last booking: pending points of an ended epoch join the matured ones from the
    /// accumulator recorded when they matured, then everything earned moves into `accrued`.
    function _settled(Account memory account, uint256 rewardPerPoint, uint256 current, uint256 lastEpoch)
        private
        view
        returns (Account memory)
    {
        uint256 paid = account.rewardPerPointPaid;
        uint256 accrued = account.accrued;
        if (account.pending != 0 && account.pendingEpoch < current) {
            // Not recorded yet if the pending points are the last booking's: nothing has been
            // booked since their epoch ended, so the accumulator has not moved.
            // Epoch numbers, not balances.
            // slither-disable-next-line incorrect-equality
            uint256 maturedAt = account.pendingEpoch == lastEpoch ? rewardPerPoint : _maturedAt[account.pendingEpoch];
            accrued += RewardMath.earned(account.matured, maturedAt, paid);
            // Cannot overflow: the sum is part of the point totals, which fit 104 bits.
            unchecked {
                account.matured += account.pending;
            }
            account.pending = 0;
            paid = maturedAt;
        }
        accrued += RewardMath.earned(account.matured, rewardPerPoint, paid);
        // Fits: what a member accrues is part of what members received, below 2^128.
        account.accrued = uint128(accrued);
        // The accumulator is stored in 128 bits, so this fits.
        account.rewardPerPointPaid = uint128(rewardPerPoint);
        return account;
    }

    function _currentEpoch(CollectiveAndClock memory clock) private view returns (uint256) {
        return RewardMath.epochAt(block.timestamp, clock.origin, clock.length, clock.originEpoch);
    }

    /// @dev What the three buckets hold in all: the pool's balance should equal it.
    function _accounted() private view returns (uint256) {
        return uint256(_received.total) - _outflows.rewardsClaimed - _outflows.essDisbursed - _collectiveSpent;
    }

    /// @dev Use an EIP-2612 permit if it is still valid. A failed permit (already used, say by a
    /// front-runner) is ignored: the transfer below then needs the allowance to be in place.
    function _permit(address owner, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        // The call goes to the immutable payment token, under the caller's nonReentrant guard.
        // slither-disable-next-line reentrancy-benign
        try IERC20Permit(address(_token)).permit(owner, address(this), amount, deadline, v, r, s) {} catch {}
    }

    /// @dev The highest reward cap: a point bought by paying a relation costs at least
    /// `(BPS - membersBps) / weightSum` token units to a buyer holding every other matured point
    /// (its own members' part comes back to it; the ESS and collective parts never do).
    function _maxRewardCap(uint256 membersBps, uint256 weightSum) private pure returns (uint256) {
        if (weightSum == 0) return MAX_EPOCH_REWARD_CAP_BPS;
        return Math.min(MAX_EPOCH_REWARD_CAP_BPS, RewardMath.BPS * (RewardMath.BPS - membersBps) / weightSum);
    }

    function _setShares(Shares memory newShares) private {
        uint256 sum = uint256(newShares.membersBps) + newShares.essBps + newShares.collectiveBps;
        if (sum != RewardMath.BPS) revert RedistributionSharesInvalidSum(sum);
        if (newShares.essBps < _essFloorBps) revert RedistributionEssShareBelowFloor(newShares.essBps, _essFloorBps);
        Params memory p = _params;
        _checkRewardCap(
            p.epochRewardCapBps,
            newShares.membersBps,
            uint256(p.payerBps) + p.counterpartyBps + p.payerSponsorBps + p.counterpartySponsorBps
        );
        emit SharesChanged(shares(), newShares);
        _params.membersBps = newShares.membersBps;
        _params.essBps = newShares.essBps;
        _params.collectiveBps = newShares.collectiveBps;
    }

    function _setPointWeights(PointWeights memory w) private {
        uint256 sum = _checkPartiesShare(w.payerBps, w.counterpartyBps, w.payerSponsorBps, w.counterpartySponsorBps);
        Params memory p = _params;
        _checkRewardCap(p.epochRewardCapBps, p.membersBps, sum);
        emit PointWeightsChanged(pointWeights(), w);
        _params.payerBps = w.payerBps;
        _params.counterpartyBps = w.counterpartyBps;
        _params.payerSponsorBps = w.payerSponsorBps;
        _params.counterpartySponsorBps = w.counterpartySponsorBps;
    }

    /// @dev Check a set of weights against their bounds and the parties' minimum share; returns
    /// their sum.
    function _checkPartiesShare(uint16 payer, uint16 counterparty, uint16 payerSponsor, uint16 counterpartySponsor)
        private
        view
        returns (uint256 sum)
    {
        uint16 highest = uint16(Math.max(Math.max(payer, counterparty), Math.max(payerSponsor, counterpartySponsor)));
        if (highest > MAX_WEIGHT_BPS) revert RedistributionWeightAboveMax(highest, MAX_WEIGHT_BPS);
        sum = uint256(payer) + counterparty + payerSponsor + counterpartySponsor;
        if (sum == 0) revert RedistributionWeightsAllZero();
        if (sum > MAX_WEIGHT_SUM_BPS) revert RedistributionWeightSumAboveMax(sum, MAX_WEIGHT_SUM_BPS);
        uint256 partiesBps = (uint256(payer) + counterparty) * RewardMath.BPS / sum;
        if (partiesBps < _partiesMinShareBps) revert RedistributionPartiesShareBelowMin(partiesBps, _partiesMinShareBps);
    }

    function _checkRewardCap(uint256 capBps, uint256 membersBps, uint256 weightSum) private pure {
        uint256 max = _maxRewardCap(membersBps, weightSum);
        if (capBps > max) revert RedistributionRewardCapAboveMax(capBps, max);
    }

    function _setEpochRewardCap(uint256 newCapBps) private {
        uint256 max = maxEpochRewardCapBps();
        if (newCapBps > max) revert RedistributionRewardCapAboveMax(newCapBps, max);
        emit EpochRewardCapChanged(_params.epochRewardCapBps, newCapBps);
        _params.epochRewardCapBps = uint16(newCapBps);
    }

    function _setPartiesMinShare(uint256 newBps) private {
        if (newBps < LOWEST_PARTIES_MIN_SHARE_BPS || newBps > RewardMath.BPS) {
            revert RedistributionPartiesMinShareOutOfRange(newBps, LOWEST_PARTIES_MIN_SHARE_BPS);
        }
        emit PartiesMinShareChanged(_partiesMinShareBps, newBps);
        // Fits: at most BPS, checked above.
        _partiesMinShareBps = uint16(newBps);
    }

    function _setMinRelationFee(uint256 newFee) private {
        if (newFee > _minRelationFeeCeiling) revert RedistributionMinRelationFeeAboveCeiling(newFee, _minRelationFeeCeiling);
        emit MinRelationFeeChanged(_params.minRelationFee, newFee);
        _params.minRelationFee = uint128(newFee);
    }

    // A function, not inlined in each of the nine governed setters: it keeps the pool within the
    // contract size limit.
    function _checkGovernance() private view {
        if (msg.sender != _governance) revert RedistributionNotGovernance(msg.sender);
    }

    function _setCollectiveBudget(uint256 amount, uint256 period) private {
        if (period < MIN_BUDGET_PERIOD || period > MAX_BUDGET_PERIOD) {
            revert RedistributionBudgetPeriodOutOfRange(period, MIN_BUDGET_PERIOD, MAX_BUDGET_PERIOD);
        }
        if (amount > type(uint88).max) revert RedistributionAmountTooLarge(amount);
        // What the running period spent still counts: changing the budget (or the steward) never
        // opens a window to spend twice.
        _budget.amount = uint88(amount);
        _budget.period = uint32(period);
        emit CollectiveBudgetChanged(amount, period);
    }

    function _checkEpochLength(uint256 length) private pure {
        if (length < MIN_EPOCH_LENGTH || length > MAX_EPOCH_LENGTH) {
            revert RedistributionEpochLengthOutOfRange(length, MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH);
        }
    }

    function _checkMemo(string calldata memo) private pure {
        if (bytes(memo).length > MAX_MEMO_LENGTH) {
            revert RedistributionMemoTooLong(bytes(memo).length, MAX_MEMO_LENGTH);
        }
    }

    function _toUint128(uint256 value) private pure returns (uint128) {
        if (value > type(uint128).max) revert RedistributionAmountTooLarge(value);
        return uint128(value);
    }

    function _toUint104(uint256 value) private pure returns (uint104) {
        if (value > type(uint104).max) revert RedistributionAmountTooLarge(value);
        return uint104(value);
    }
}
// slither-disable-end timestamp
