// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What the CMIR Governor adds to OpenZeppelin's
/// @notice One member, one vote, with capture made slow, visible and stoppable:
/// - every proposal names its proposer (the description ends with `#proposer=0x…`, as
///   OpenZeppelin defines it), so no member can pre-empt, copy or cancel another's proposal;
/// - the quorum is the larger of a fraction of the members and an absolute floor (capped at the
///   number of members: a network smaller than the floor needs every member);
/// - an approval expires: a proposal that succeeded but was not queued within the grace period
///   after its deadline, or was queued but not executed within it after its ETA, is Expired for
///   good (the grace period in force at the proposal's snapshot applies);
/// - a guardian ("conseil de surveillance", a Safe multisig in production) named by governance
///   may only cancel a proposal before execution, giving a public reason; it cannot cancel the
///   proposal that replaces it, which must contain that one action.
/// Every governed setting is bounded.
interface ICmirGovernor {
    /// @notice The caller is not the guardian.
    error CmirGovernorNotGuardian(address caller);
    /// @notice The guardian cannot cancel proposal `proposalId`: it replaces the guardian.
    error CmirGovernorGuardianCannotCancelReplacement(uint256 proposalId);
    /// @notice A proposal that replaces the guardian must hold that one action (it had `actions`).
    error CmirGovernorGuardianChangeNotAlone(uint256 actions);
    /// @notice A governed setting is outside [`min`, `max`].
    error CmirGovernorSettingOutOfRange(uint256 value, uint256 min, uint256 max);

    /// @notice Governance named `newGuardian` (0: none) in place of `previousGuardian`.
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);
    /// @notice The guardian cancelled proposal `proposalId`, giving `reason`.
    event ProposalCanceledByGuardian(uint256 indexed proposalId, address indexed guardian, string reason);
    /// @notice The absolute quorum floor changed (for proposals whose snapshot is later).
    event QuorumFloorChanged(uint256 previousFloor, uint256 newFloor);
    /// @notice The grace period of approvals changed (for proposals whose snapshot is later).
    event ApprovalGracePeriodChanged(uint256 previousGrace, uint256 newGrace);

    /// @notice Guardian only: cancel a proposal that has not been executed, giving `reason`.
    function guardianCancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash,
        string calldata reason
    ) external returns (uint256 proposalId);

    /// @notice Governance only: name the guardian (0: none).
    function setGuardian(address newGuardian) external;

    /// @notice Governance only: set the absolute quorum floor, in votes.
    function setQuorumFloor(uint256 newFloor) external;

    /// @notice Governance only: set how long an approval stays executable, in seconds.
    function setApprovalGracePeriod(uint256 newGrace) external;

    /// @notice The guardian (0: none).
    function guardian() external view returns (address);

    /// @notice The absolute quorum floor now.
    function quorumFloor() external view returns (uint256);

    /// @notice The approval grace period now.
    function approvalGracePeriod() external view returns (uint256);

    /// @notice When proposal `proposalId`'s approval expires: its ETA (once queued), else its
    /// deadline, plus the grace period at its snapshot.
    function proposalExpiresAt(uint256 proposalId) external view returns (uint256);
}
