// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";

/// @title CMIR membership: one soulbound token and one vote per active member
/// @notice Members are Pilotes (companies, institutions), Abeilles (individuals, freelancers,
/// small firms) or ESS structures. A member invites, the invitee accepts (paying the governed
/// membership fee, if any, into the pool); governance may also admit and exclude. Voting power is
/// 1 per active member from the second of joining, checkpointed for the Governor, with no
/// delegation step. Exclusion is final for an address and ends its voting power and reward
/// accrual, never the rewards it already earned.
interface IMembership is IVotes, IERC6372 {
    /// @notice What kind of member an account is.
    enum MemberKind {
        Pilote,
        Abeille,
        EssStructure
    }

    /// @notice A member's record. `joinedAt` is 0 for a non-member; `excludedAt` is 0 while active.
    struct Member {
        address sponsor;
        uint48 joinedAt;
        MemberKind kind;
        uint16 invitationsSent;
        uint48 excludedAt;
    }

    /// @notice A pending invitation.
    struct Invitation {
        address sponsor;
        MemberKind kind;
    }

    /// @notice The caller is not the governance (timelock).
    error MembershipNotGovernance(address caller);
    /// @notice `account` is not an active member.
    error MembershipNotActiveMember(address account);
    /// @notice `account` is or was a member (an excluded address cannot join again).
    error MembershipAlreadyMember(address account);
    /// @notice `invitee` already holds a pending invitation.
    error MembershipAlreadyInvited(address invitee, address sponsor);
    /// @notice No pending invitation for `invitee` (from `sponsor`, when one is named).
    error MembershipNoInvitation(address invitee);
    /// @notice `sponsor` has used all of its `allowance` invitations.
    error MembershipInvitationAllowanceExhausted(address sponsor, uint16 allowance);
    /// @notice The sponsor of an invitation is no longer an active member.
    error MembershipSponsorNotActive(address sponsor);
    /// @notice The zero address cannot be a member, a sponsor-less invitee or the pool.
    error MembershipZeroAddress();
    /// @notice Membership tokens cannot be transferred or approved.
    error MembershipSoulbound();
    /// @notice Votes are not transferable: every active member votes for itself.
    error MembershipDelegationDisabled();
    /// @notice `timepoint` is not in the past of the clock (`clock`).
    error MembershipFutureLookup(uint256 timepoint, uint48 clock);
    /// @notice No membership token has id `tokenId`.
    error MembershipNonexistentToken(uint256 tokenId);
    /// @notice Only the deployer binds the pool, once.
    error MembershipNotDeployer(address caller);
    /// @notice The pool is already bound.
    error MembershipPoolAlreadyBound(address pool);
    /// @notice The founder lists have different lengths.
    error MembershipFounderListsMismatch(uint256 accounts, uint256 kinds);

    /// @notice `sponsor` invited `invitee` to join as `kind`.
    event MemberInvited(address indexed sponsor, address indexed invitee, MemberKind kind);
    /// @notice `sponsor` withdrew its invitation to `invitee`.
    event InvitationRevoked(address indexed sponsor, address indexed invitee);
    /// @notice `member` joined as `kind`, sponsored by `sponsor` (0 for founders and some admissions),
    /// at `joinedAt`, paying `feePaid` into the pool; `byGovernance` for a governance admission
    /// (false for founders, who join at deployment with sponsor 0).
    event MemberJoined(
        address indexed member,
        address indexed sponsor,
        MemberKind kind,
        uint48 joinedAt,
        uint256 feePaid,
        bool byGovernance
    );
    /// @notice Governance excluded `member` at `excludedAt`, giving `reason`.
    event MemberExcluded(address indexed member, uint48 excludedAt, string reason);
    /// @notice The number of invitations each member may send changed.
    event InvitationAllowanceChanged(uint16 previousAllowance, uint16 newAllowance);
    /// @notice The fee an invitee pays on joining changed.
    event MembershipFeeChanged(uint256 previousFee, uint256 newFee);
    /// @notice ERC-5192: membership token `tokenId` is locked to its member (emitted on joining).
    event Locked(uint256 tokenId);
    /// @notice The redistribution pool was bound, once, at deployment.
    event PoolBound(address indexed pool);

    /// @notice Invite `invitee` to join as `kind`; uses one of the caller's invitations.
    function invite(address invitee, MemberKind kind) external;

    /// @notice Withdraw the caller's pending invitation to `invitee`, giving the invitation back.
    function revokeInvitation(address invitee) external;

    /// @notice Accept the caller's pending invitation, paying the membership fee into the pool.
    function acceptInvitation() external;

    /// @notice Accept the caller's invitation, approving the fee with an EIP-2612 permit.
    function acceptInvitationWithPermit(uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Governance admits `account` as `kind`, sponsored by `sponsor` (may be 0); no fee.
    function admit(address account, MemberKind kind, address sponsor) external;

    /// @notice Governance excludes `member`: its votes end now, its rewards stop accruing.
    function exclude(address member, string calldata reason) external;

    /// @notice Governance sets how many invitations each member may send.
    function setInvitationAllowance(uint16 allowance) external;

    /// @notice Governance sets the fee (in the pool's token) paid when accepting an invitation.
    function setMembershipFee(uint256 fee) external;

    /// @notice Bind the redistribution pool; the deployer calls it once while wiring.
    function bindPool(address pool_) external;

    /// @notice The governance (timelock) address.
    function governance() external view returns (address);

    /// @notice The redistribution pool, once bound.
    function pool() external view returns (address);

    /// @notice The record of `account` (all zero for a non-member).
    function memberOf(address account) external view returns (Member memory);

    /// @notice The pending invitation of `invitee` (sponsor 0 when none).
    function invitationOf(address invitee) external view returns (Invitation memory);

    /// @notice True while `account` is a member that has not been excluded.
    function isActiveMember(address account) external view returns (bool);

    /// @notice For a relation between two accounts: whether each is active, and each one's
    /// sponsor when that sponsor is itself active (0 otherwise). One call for the pool.
    function relationParties(address payer, address counterparty)
        external
        view
        returns (bool payerActive, bool counterpartyActive, address payerSponsor, address counterpartySponsor);

    /// @notice Active members now.
    function activeMemberCount() external view returns (uint256);

    /// @notice Invitations each member may send.
    function invitationAllowance() external view returns (uint16);

    /// @notice Fee paid into the pool when accepting an invitation.
    function membershipFee() external view returns (uint256);
}
