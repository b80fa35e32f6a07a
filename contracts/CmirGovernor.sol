// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ICmirGovernor} from "./interfaces/ICmirGovernor.sol";

/// @title The DAO's Governor: one member, one vote
/// @notice OpenZeppelin Governor over the membership's votes (1 per active member past its
/// probation, read at each proposal's snapshot), For / Against / Abstain with reasons, and
/// execution through the timelock, of which this Governor is the only proposer, canceller and
/// executor. Times are in seconds (timestamp clock). See {ICmirGovernor} for what it adds.
contract CmirGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl,
    ERC2771Context,
    ICmirGovernor
{
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Bounds of the governed settings.
    uint256 public constant MAX_VOTING_DELAY = 30 days;
    uint256 public constant MIN_VOTING_PERIOD = 1 minutes;
    uint256 public constant MAX_VOTING_PERIOD = 90 days;
    uint256 public constant MIN_QUORUM_PERCENT = 5;
    uint256 public constant MAX_QUORUM_FLOOR = 10_000;
    uint256 public constant MIN_APPROVAL_GRACE = 1 hours;
    uint256 public constant MAX_APPROVAL_GRACE = 365 days;

    /// @notice Everything the Governor is deployed with, besides its membership and timelock.
    struct Config {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 quorumPercent;
        uint256 quorumFloor;
        uint256 approvalGracePeriod;
        address guardian;
    }

    address private _guardian;
    Checkpoints.Trace208 private _quorumFloor;
    Checkpoints.Trace208 private _approvalGrace;

    /// @param membership the membership contract (IVotes, timestamp clock)
    /// @param timelock the timelock that executes proposals
    /// @param config voting delay and period (seconds), quorum percent of the members at the
    /// snapshot and absolute floor (votes), approval grace period (seconds), guardian (0: none)
    /// @param forwarder the ERC-2771 forwarder trusted to relay members' signed proposals (votes
    /// are relayed by signature, `castVoteWithReasonAndParamsBySig`)
    constructor(IVotes membership, TimelockController timelock, Config memory config, address forwarder)
        Governor("CMIR DAO")
        // Proposal threshold 1: only a member past its probation (at the previous second) may propose.
        GovernorSettings(config.votingDelay, config.votingPeriod, 1)
        GovernorVotes(membership)
        GovernorVotesQuorumFraction(config.quorumPercent)
        GovernorTimelockControl(timelock)
        ERC2771Context(forwarder)
    {
        _setQuorumFloor(config.quorumFloor);
        _setApprovalGracePeriod(config.approvalGracePeriod);
        _setGuardian(config.guardian);
    }

    // ------------------------------------------------------------------ proposals

    /// @notice As OpenZeppelin's, and a proposal that replaces the guardian holds only that action.
    function propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description
    ) public override returns (uint256) {
        if (targets.length > 1 && _replacesGuardian(targets, calldatas)) {
            revert CmirGovernorGuardianChangeNotAlone(targets.length);
        }
        return super.propose(targets, values, calldatas, description);
    }

    /// @inheritdoc ICmirGovernor
    function guardianCancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash,
        string calldata reason
    ) external returns (uint256 proposalId) {
        if (msg.sender != _guardian) revert CmirGovernorNotGuardian(msg.sender);
        proposalId = getProposalId(targets, values, calldatas, descriptionHash);
        if (_replacesGuardian(targets, calldatas)) revert CmirGovernorGuardianCannotCancelReplacement(proposalId);
        emit ProposalCanceledByGuardian(proposalId, msg.sender, reason);
        _cancel(targets, values, calldatas, descriptionHash);
    }

    /// @notice OpenZeppelin's states, and Expired once an approval outlives its grace period.
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        ProposalState current = super.state(proposalId);
        if (
            (current == ProposalState.Succeeded || current == ProposalState.Queued)
                && clock() > proposalExpiresAt(proposalId)
        ) return ProposalState.Expired;
        return current;
    }

    /// @inheritdoc ICmirGovernor
    function proposalExpiresAt(uint256 proposalId) public view returns (uint256) {
        uint256 eta = proposalEta(proposalId);
        uint256 start = eta != 0 ? eta : proposalDeadline(proposalId);
        return start + _approvalGrace.upperLookupRecent(SafeCast.toUint48(proposalSnapshot(proposalId)));
    }

    /// @notice The larger of the fraction of members and the floor (at most every member).
    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        uint256 byFraction = super.quorum(timepoint);
        uint256 floor = _quorumFloor.upperLookupRecent(SafeCast.toUint48(timepoint));
        uint256 members = token().getPastTotalSupply(timepoint);
        if (floor > members) floor = members;
        return byFraction > floor ? byFraction : floor;
    }

    // ------------------------------------------------------------------ governed settings

    /// @inheritdoc ICmirGovernor
    function setGuardian(address newGuardian) external onlyGovernance {
        _setGuardian(newGuardian);
    }

    /// @inheritdoc ICmirGovernor
    function setQuorumFloor(uint256 newFloor) external onlyGovernance {
        _setQuorumFloor(newFloor);
    }

    /// @inheritdoc ICmirGovernor
    function setApprovalGracePeriod(uint256 newGrace) external onlyGovernance {
        _setApprovalGracePeriod(newGrace);
    }

    /// @inheritdoc ICmirGovernor
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc ICmirGovernor
    function quorumFloor() external view returns (uint256) {
        return _quorumFloor.latest();
    }

    /// @inheritdoc ICmirGovernor
    function approvalGracePeriod() external view returns (uint256) {
        return _approvalGrace.latest();
    }

    // ------------------------------------------------------------------ internals

    /// @dev Every proposal must name its proposer: OpenZeppelin accepts a description without the
    /// `#proposer=0x…` suffix, which lets anyone send a copy of another member's proposal first.
    // OpenZeppelin's `propose` calls this override (Slither sees it as unused); the assembly
    // reads 12 bytes in place instead of copying the description.
    // slither-disable-next-line dead-code,assembly
    function _isValidDescriptionForProposer(address proposer, string memory description)
        internal
        view
        override
        returns (bool)
    {
        bytes memory text = bytes(description);
        // "#proposer=0x" and 40 hex digits.
        if (text.length < 52) return false;
        bytes12 marker;
        // Reads the 12 bytes where the suffix starts; the length check above keeps it in bounds.
        assembly ("memory-safe") {
            marker := mload(add(add(text, 0x20), sub(mload(text), 52)))
        }
        if (marker != bytes12("#proposer=0x")) return false;
        // OpenZeppelin accepts a suffix that is not an address; here it must be the proposer's.
        (bool parsed, address named) = Strings.tryParseAddress(description, text.length - 42, text.length);
        return parsed && named == proposer;
    }

    function _replacesGuardian(address[] memory targets, bytes[] memory calldatas) private view returns (bool) {
        for (uint256 i = 0; i < targets.length; ++i) {
            if (
                targets[i] == address(this) && calldatas[i].length >= 4
                    && bytes4(calldatas[i]) == ICmirGovernor.setGuardian.selector
            ) return true;
        }
        return false;
    }

    function _setGuardian(address newGuardian) private {
        emit GuardianChanged(_guardian, newGuardian);
        _guardian = newGuardian;
    }

    function _setQuorumFloor(uint256 newFloor) private {
        _checkSetting(newFloor, 1, MAX_QUORUM_FLOOR);
        uint256 previous = _quorumFloor.latest();
        // push returns the previous and new values, which are already known here.
        // slither-disable-next-line unused-return
        _quorumFloor.push(clock(), uint208(newFloor));
        emit QuorumFloorChanged(previous, newFloor);
    }

    function _setApprovalGracePeriod(uint256 newGrace) private {
        _checkSetting(newGrace, MIN_APPROVAL_GRACE, MAX_APPROVAL_GRACE);
        uint256 previous = _approvalGrace.latest();
        // slither-disable-next-line unused-return
        _approvalGrace.push(clock(), uint208(newGrace));
        emit ApprovalGracePeriodChanged(previous, newGrace);
    }

    function _setVotingDelay(uint48 newVotingDelay) internal override {
        _checkSetting(newVotingDelay, 0, MAX_VOTING_DELAY);
        super._setVotingDelay(newVotingDelay);
    }

    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        _checkSetting(newVotingPeriod, MIN_VOTING_PERIOD, MAX_VOTING_PERIOD);
        super._setVotingPeriod(newVotingPeriod);
    }

    function _setProposalThreshold(uint256 newProposalThreshold) internal override {
        // One member, one vote: any member past probation proposes; no more, no less.
        _checkSetting(newProposalThreshold, 1, 1);
        super._setProposalThreshold(newProposalThreshold);
    }

    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        _checkSetting(newQuorumNumerator, MIN_QUORUM_PERCENT, quorumDenominator());
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    function _checkSetting(uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert CmirGovernorSettingOutOfRange(value, min, max);
    }

    // The overrides below only resolve multiple inheritance; they add no behaviour.

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    // The forwarder's relayed caller (ERC-2771) wherever OpenZeppelin's Governor reads its caller:
    // a member proposes through the forwarder without holding ether.
    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
