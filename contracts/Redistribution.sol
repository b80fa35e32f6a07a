// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRedistribution} from "./interfaces/IRedistribution.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IEssProjectRegistry} from "./interfaces/IEssProjectRegistry.sol";
import {RewardMath} from "./libraries/RewardMath.sol";

/// @title CMIR redistribution pool
/// @notice See {IRedistribution}. Members' rewards use a reward-per-point accumulator: an inflow
/// updates a handful of words whatever the member count, and each member's share is settled when
/// its points change or it claims (pull payments).
contract Redistribution is IRedistribution, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Longest memo accepted, in bytes, so that no call carries unbounded data.
    uint256 public constant MAX_MEMO_LENGTH = 280;

    /// @dev Governed parameters, packed in one word read once per inflow.
    struct Params {
        uint16 membersBps;
        uint16 essBps;
        uint16 collectiveBps;
        uint16 payerBps;
        uint16 counterpartyBps;
        uint16 payerSponsorBps;
        uint16 counterpartySponsorBps;
        uint128 minRelationFee;
    }

    /// @dev A member's reward position: `accrued` is settled and unclaimed, as of `rewardPerPointPaid`.
    struct Account {
        uint128 points;
        uint128 accrued;
        uint256 rewardPerPointPaid;
    }

    /// @dev Running totals of inflows and points, written on every inflow.
    struct Inflows {
        uint128 totalReceived;
        uint128 totalPoints;
    }

    /// @dev What the ESS and collective buckets have received in all.
    struct BucketsReceived {
        uint128 ess;
        uint128 collective;
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

    Params private _params;
    Inflows private _inflows;
    BucketsReceived private _bucketsReceived;
    uint256 private _undistributedRewards;
    uint256 private _rewardPerPoint;
    Outflows private _outflows;
    uint256 private _collectiveSpent;
    address private _steward;
    mapping(address account => Account) private _accounts;

    /// @notice Everything the pool is deployed with; `essFloorBps` can never change afterwards.
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
    }

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert RedistributionNotGovernance(msg.sender);
        _;
    }

    modifier onlyMembership() {
        if (msg.sender != address(_membership)) revert RedistributionNotMembership(msg.sender);
        _;
    }

    constructor(Config memory config) {
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
        _setShares(config.shares);
        _setPointWeights(config.weights);
        _setMinRelationFee(config.minRelationFee);
        _steward = config.steward;
        emit StewardChanged(address(0), config.steward);
    }

    // ------------------------------------------------------------------ inflows

    /// @inheritdoc IRedistribution
    function payRelation(address counterparty, uint256 amount, bytes32 relationRef) external nonReentrant {
        _payRelation(counterparty, amount, relationRef);
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
        _permit(amount, deadline, v, r, s);
        _payRelation(counterparty, amount, relationRef);
    }

    /// @inheritdoc IRedistribution
    function contribute(uint256 amount, string calldata memo) external nonReentrant {
        _contribute(amount, memo);
    }

    /// @inheritdoc IRedistribution
    function contributeWithPermit(
        uint256 amount,
        string calldata memo,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        _permit(amount, deadline, v, r, s);
        _contribute(amount, memo);
    }

    /// @inheritdoc IRedistribution
    function accountSurplus() external nonReentrant {
        uint256 balance = _token.balanceOf(address(this));
        uint256 accounted = _accounted();
        if (balance <= accounted) revert RedistributionNoSurplus();
        uint256 amount = balance - accounted;
        (Split memory parts, uint256 rewardPerPoint) = _receive(amount, _params, 0);
        emit SurplusAccounted(msg.sender, amount, parts, rewardPerPoint);
    }

    /// @inheritdoc IRedistribution
    function collectMembershipFee(address member, uint256 amount) external onlyMembership nonReentrant {
        if (amount == 0) revert RedistributionZeroAmount();
        (Split memory parts, uint256 rewardPerPoint) = _receive(amount, _params, 0);
        emit MembershipFeeReceived(member, amount, parts, rewardPerPoint);
        // `member` is the account accepting its own invitation in Membership, the only caller:
        // it approved the pool for its fee, so this is not an arbitrary `from`.
        // slither-disable-next-line arbitrary-send-erc20
        _token.safeTransferFrom(member, address(this), amount);
    }

    // ------------------------------------------------------------------ members

    /// @inheritdoc IRedistribution
    function claim() external nonReentrant returns (uint256 amount) {
        uint256 rewardPerPoint = _rewardPerPoint;
        Account storage account = _settle(msg.sender, rewardPerPoint);
        amount = account.accrued;
        if (amount == 0) revert RedistributionNothingToClaim(msg.sender);
        account.accrued = 0;
        // Cannot overflow: claims never exceed what was received, which fits 128 bits.
        unchecked {
            _outflows.rewardsClaimed += uint128(amount);
        }
        emit RewardsClaimed(msg.sender, amount, rewardPerPoint);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRedistribution
    function freezeMemberRewards(address member) external onlyMembership {
        uint256 rewardPerPoint = _rewardPerPoint;
        Account storage account = _settle(member, rewardPerPoint);
        uint128 removed = account.points;
        account.points = 0;
        // Cannot underflow: the total is the sum of every account's points.
        unchecked {
            _inflows.totalPoints -= removed;
        }
        emit MemberRewardsFrozen(member, removed, account.accrued, rewardPerPoint);
    }

    // ------------------------------------------------------------------ outflows

    /// @inheritdoc IRedistribution
    function fundEssProject(uint256 projectId, uint256 amount) external onlyGovernance nonReentrant {
        if (amount == 0) revert RedistributionZeroAmount();
        (address payoutWallet, bool active) = _registry.payoutOf(projectId);
        if (payoutWallet == address(0)) revert RedistributionUnknownProject(projectId);
        if (!active) revert RedistributionProjectInactive(projectId);
        uint256 available = essAvailable();
        if (amount > available) revert RedistributionInsufficientFunds(amount, available);
        // Cannot overflow: bounded by the ESS bucket received, which fits 128 bits.
        unchecked {
            _outflows.essDisbursed += uint128(amount);
        }
        emit EssProjectFunded(projectId, payoutWallet, amount);
        _token.safeTransfer(payoutWallet, amount);
    }

    /// @inheritdoc IRedistribution
    function spendCollective(address recipient, uint256 amount, string calldata memo) external nonReentrant {
        if (msg.sender != _steward) revert RedistributionNotSteward(msg.sender);
        if (recipient == address(0)) revert RedistributionZeroAddress();
        if (amount == 0) revert RedistributionZeroAmount();
        _checkMemo(memo);
        uint256 available = collectiveAvailable();
        if (amount > available) revert RedistributionInsufficientFunds(amount, available);
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
    function totals() external view returns (Totals memory t) {
        t.totalReceived = _inflows.totalReceived;
        t.essReceived = _bucketsReceived.ess;
        t.collectiveReceived = _bucketsReceived.collective;
        t.membersReceived = t.totalReceived - t.essReceived - t.collectiveReceived;
        t.rewardsClaimed = _outflows.rewardsClaimed;
        t.essDisbursed = _outflows.essDisbursed;
        t.collectiveSpent = _collectiveSpent;
        t.undistributedRewards = _undistributedRewards;
        t.totalPoints = _inflows.totalPoints;
        t.rewardPerPoint = _rewardPerPoint;
    }

    /// @inheritdoc IRedistribution
    function essAvailable() public view returns (uint256) {
        return uint256(_bucketsReceived.ess) - _outflows.essDisbursed;
    }

    /// @inheritdoc IRedistribution
    function collectiveAvailable() public view returns (uint256) {
        return uint256(_bucketsReceived.collective) - _collectiveSpent;
    }

    /// @inheritdoc IRedistribution
    function membersAvailable() public view returns (uint256) {
        return uint256(_inflows.totalReceived) - _bucketsReceived.ess - _bucketsReceived.collective
            - _outflows.rewardsClaimed;
    }

    /// @inheritdoc IRedistribution
    function pointsOf(address account) external view returns (uint256) {
        return _accounts[account].points;
    }

    /// @inheritdoc IRedistribution
    function claimableOf(address account) external view returns (uint256) {
        Account memory a = _accounts[account];
        return a.accrued + RewardMath.earned(a.points, _rewardPerPoint, a.rewardPerPointPaid);
    }

    // ------------------------------------------------------------------ internals

    function _payRelation(address counterparty, uint256 amount, bytes32 relationRef) private {
        Params memory p = _params;
        if (amount == 0) revert RedistributionZeroAmount();
        if (amount < p.minRelationFee) revert RedistributionFeeBelowMinimum(amount, p.minRelationFee);
        if (counterparty == msg.sender) revert RedistributionSelfRelation(msg.sender);
        (bool payerActive, bool counterpartyActive, address payerSponsor, address counterpartySponsor) =
            _membership.relationParties(msg.sender, counterparty);
        if (!payerActive) revert RedistributionNotActiveMember(msg.sender);
        if (!counterpartyActive) revert RedistributionNotActiveMember(counterparty);

        // Points first, at the accumulator before this inflow, so the parties share in it.
        uint256 rewardPerPoint = _rewardPerPoint;
        RelationPoints memory awarded = RelationPoints(payerSponsor, counterpartySponsor, 0, 0, 0, 0);
        awarded.payerPoints = _award(msg.sender, amount, p.payerBps, rewardPerPoint);
        awarded.counterpartyPoints = _award(counterparty, amount, p.counterpartyBps, rewardPerPoint);
        if (payerSponsor != address(0)) {
            awarded.payerSponsorPoints = _award(payerSponsor, amount, p.payerSponsorBps, rewardPerPoint);
        }
        if (counterpartySponsor != address(0)) {
            awarded.counterpartySponsorPoints =
                _award(counterpartySponsor, amount, p.counterpartySponsorBps, rewardPerPoint);
        }
        uint256 added = awarded.payerPoints + awarded.counterpartyPoints + awarded.payerSponsorPoints
            + awarded.counterpartySponsorPoints;

        (Split memory parts, uint256 newRewardPerPoint) = _receive(amount, p, added);
        emit RelationPaid(msg.sender, counterparty, relationRef, amount, parts, awarded, newRewardPerPoint);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _contribute(uint256 amount, string calldata memo) private {
        if (amount == 0) revert RedistributionZeroAmount();
        _checkMemo(memo);
        (Split memory parts, uint256 rewardPerPoint) = _receive(amount, _params, 0);
        emit Contributed(msg.sender, amount, parts, rewardPerPoint, memo);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Book an inflow: totals, the three buckets, and the members' part spread over all
    /// points (including `addedPoints`, awarded for this inflow).
    function _receive(uint256 amount, Params memory p, uint256 addedPoints)
        private
        returns (Split memory parts, uint256 rewardPerPoint)
    {
        if (amount > type(uint128).max) revert RedistributionAmountTooLarge(amount);
        parts = RewardMath.split(amount, Shares(p.membersBps, p.essBps, p.collectiveBps));
        Inflows memory inflows = _inflows;
        inflows.totalReceived = _toUint128(inflows.totalReceived + amount);
        inflows.totalPoints = _toUint128(inflows.totalPoints + addedPoints);
        _inflows = inflows;
        BucketsReceived memory received = _bucketsReceived;
        // Cannot overflow: each part is at most the amount, and totalReceived fits 128 bits.
        unchecked {
            received.ess += uint128(parts.toEss);
            received.collective += uint128(parts.toCollective);
        }
        _bucketsReceived = received;
        (uint256 increase, uint256 carry) =
            RewardMath.distribute(parts.toMembers + _undistributedRewards, inflows.totalPoints);
        _undistributedRewards = carry;
        rewardPerPoint = _rewardPerPoint + increase;
        _rewardPerPoint = rewardPerPoint;
    }

    /// @dev Settle `member` at `rewardPerPoint`, then add the points a relation of `amount`
    /// earns at `weightBps`; returns them.
    function _award(address member, uint256 amount, uint16 weightBps, uint256 rewardPerPoint)
        private
        returns (uint256 points)
    {
        points = RewardMath.points(amount, weightBps);
        // A zero weight or a tiny amount earns nothing: skip the settlement's storage writes.
        // slither-disable-next-line incorrect-equality
        if (points == 0) return 0;
        Account storage account = _settle(member, rewardPerPoint);
        account.points = _toUint128(account.points + points);
    }

    /// @dev Move what `member` earned since its last settlement into `accrued`.
    function _settle(address member, uint256 rewardPerPoint) private returns (Account storage account) {
        account = _accounts[member];
        uint256 paid = account.rewardPerPointPaid;
        // Already settled at this accumulator value: nothing to add (not a balance comparison).
        // slither-disable-next-line incorrect-equality
        if (paid == rewardPerPoint) return account;
        uint128 points = account.points;
        if (points != 0) {
            account.accrued = _toUint128(account.accrued + RewardMath.earned(points, rewardPerPoint, paid));
        }
        account.rewardPerPointPaid = rewardPerPoint;
    }

    /// @dev What the three buckets hold in all: the pool's balance should equal it.
    function _accounted() private view returns (uint256) {
        return uint256(_inflows.totalReceived) - _outflows.rewardsClaimed - _outflows.essDisbursed
            - _collectiveSpent;
    }

    /// @dev Use an EIP-2612 permit if it is still valid. A failed permit (already used, say by a
    /// front-runner) is ignored: the transfer below then needs the allowance to be in place.
    function _permit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        // The call goes to the immutable payment token, under the caller's nonReentrant guard.
        // slither-disable-next-line reentrancy-benign
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
    }

    function _setShares(Shares memory newShares) private {
        uint256 sum = uint256(newShares.membersBps) + newShares.essBps + newShares.collectiveBps;
        if (sum != RewardMath.BPS) revert RedistributionSharesInvalidSum(sum);
        if (newShares.essBps < _essFloorBps) revert RedistributionEssShareBelowFloor(newShares.essBps, _essFloorBps);
        emit SharesChanged(shares(), newShares);
        _params.membersBps = newShares.membersBps;
        _params.essBps = newShares.essBps;
        _params.collectiveBps = newShares.collectiveBps;
    }

    function _setPointWeights(PointWeights memory w) private {
        if (w.payerBps == 0 && w.counterpartyBps == 0 && w.payerSponsorBps == 0 && w.counterpartySponsorBps == 0) {
            revert RedistributionWeightsAllZero();
        }
        emit PointWeightsChanged(pointWeights(), w);
        _params.payerBps = w.payerBps;
        _params.counterpartyBps = w.counterpartyBps;
        _params.payerSponsorBps = w.payerSponsorBps;
        _params.counterpartySponsorBps = w.counterpartySponsorBps;
    }

    function _setMinRelationFee(uint256 newFee) private {
        emit MinRelationFeeChanged(_params.minRelationFee, newFee);
        _params.minRelationFee = _toUint128(newFee);
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
}
