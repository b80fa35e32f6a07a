// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";

/// @title CMIR membership: one soulbound token and one vote per member past its probation
/// @notice Members are Pilotes (companies, institutions), Abeilles (individuals, freelancers,
/// small firms) or ESS structures. A member invites, the invitee accepts naming that sponsor and
/// kind (paying the governed membership fee, if any, into the pool); governance may also admit and
/// exclude. Capture is slow and visible:
/// - a member's vote counts, and it may invite, only once its probation (a governed time from
///   joining, fixed at joining) has ended; founders have none;
/// - invitations come from an allowance that refills over time (one every `invitationRefillPeriod`
///   up to `invitationCap`), never a stock handed to each newcomer; they expire after
///   `invitationTtl`, lapse when their sponsor is excluded, and governance may revoke any;
/// - an ESS structure joins only when admitted by governance or attested by a governed attester
///   (a regional CRESS, say): a member's invitation alone is not enough.
/// Voting power is 1 per active member past probation, read at the Governor's snapshot, with no
/// delegation step. The quorum counts every active member, probation included: joining fast
/// raises the bar, never lowers it. Exclusion is final for an address and ends its voting power
/// and reward accrual, never the rewards it already earned.
interface IMembership is IVotes, IERC6372 {
    /// @notice What kind of member an account is.
    enum MemberKind {
        Pilote,
        Abeille,
        EssStructure
    }

    /// @notice A member's record. `joinedAt` is 0 for a non-member; `excludedAt` is 0 while
    /// active; its vote counts from `votesFrom` (the end of its probation).
    struct Member {
        address sponsor;
        uint48 joinedAt;
        MemberKind kind;
        uint16 invitationsSent;
        uint48 excludedAt;
        uint48 votesFrom;
    }

    /// @notice A pending invitation from `sponsor`, valid until `expiresAt` (0: none).
    struct Invitation {
        address sponsor;
        MemberKind kind;
        uint48 expiresAt;
    }

    /// @notice The governed admission rules, each bounded (see the `MAX_*` constants):
    /// `probation` seconds from joining before a member votes and invites; one invitation
    /// accrues every `invitationRefillPeriod` seconds after probation, up to `invitationCap`
    /// unused; an invitation expires `invitationTtl` seconds after it is sent.
    struct Rules {
        uint48 probation;
        uint48 invitationRefillPeriod;
        uint16 invitationCap;
        uint48 invitationTtl;
    }

    /// @notice The caller is not the governance (timelock).
    error MembershipNotGovernance(address caller);
    /// @notice `account` is not an active member.
    error MembershipNotActiveMember(address account);
    /// @notice `account` is or was a member (an excluded address cannot join again).
    error MembershipAlreadyMember(address account);
    /// @notice `invitee` already holds a live invitation from `sponsor`.
    error MembershipAlreadyInvited(address invitee, address sponsor);
    /// @notice No invitation for `invitee` from `sponsor`.
    error MembershipNoInvitation(address invitee, address sponsor);
    /// @notice The invitation from `sponsor` to `invitee` expired at `expiresAt`.
    error MembershipInvitationExpired(address invitee, address sponsor, uint48 expiresAt);
    /// @notice The invitation from `sponsor` is for kind `invited`, not the `expected` one.
    error MembershipInvitationKindMismatch(address invitee, address sponsor, MemberKind invited, MemberKind expected);
    /// @notice `sponsor` has no invitation left now; the next accrues at `nextAt`.
    error MembershipNoInvitationLeft(address sponsor, uint256 nextAt);
    /// @notice `member` is in probation until `votesFrom`: it cannot invite yet.
    error MembershipInProbation(address member, uint48 votesFrom);
    /// @notice The sponsor of an invitation is no longer an active member.
    error MembershipSponsorNotActive(address sponsor);
    /// @notice `invitee` was invited as an ESS structure and no attester has attested it.
    error MembershipEssStructureNotAttested(address invitee);
    /// @notice The caller is not a governed attester.
    error MembershipNotAttester(address caller);
    /// @notice The caller may not revoke this invitation (only its sponsor or governance may).
    error MembershipNotInvitationSponsor(address caller, address sponsor);
    /// @notice A governed rule is outside its bounds.
    error MembershipRuleOutOfRange(uint256 value, uint256 min, uint256 max);
    /// @notice The membership fee `fee` is above the pool's fee ceiling `ceiling`.
    error MembershipFeeAboveCeiling(uint256 fee, uint256 ceiling);
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

    /// @notice `sponsor` invited `invitee` to join as `kind`, until `expiresAt`.
    event MemberInvited(address indexed sponsor, address indexed invitee, MemberKind kind, uint48 expiresAt);
    /// @notice The invitation from `sponsor` to `invitee` was withdrawn by `revokedBy` (the
    /// sponsor, or governance); the sponsor gets that invitation back.
    event InvitationRevoked(address indexed sponsor, address indexed invitee, address revokedBy);
    /// @notice `member` joined as `kind`, sponsored by `sponsor` (0 for founders and some admissions),
    /// at `joinedAt`, paying `feePaid` into the pool; `byGovernance` for a governance admission
    /// (false for founders, who join at deployment with sponsor 0). Its vote counts, and it may
    /// invite, from `votesFrom` (the end of its probation).
    event MemberJoined(
        address indexed member,
        address indexed sponsor,
        MemberKind kind,
        uint48 joinedAt,
        uint256 feePaid,
        bool byGovernance,
        uint48 votesFrom
    );
    /// @notice Governance excluded `member` at `excludedAt`, giving `reason`.
    event MemberExcluded(address indexed member, uint48 excludedAt, string reason);
    /// @notice Governance changed the admission rules (new joiners get the new probation).
    event MembershipRulesChanged(Rules previousRules, Rules newRules);
    /// @notice The fee an invitee pays on joining changed.
    event MembershipFeeChanged(uint256 previousFee, uint256 newFee);
    /// @notice Governance made `attester` an attester of ESS structures (`allowed`) or not.
    event AttesterChanged(address indexed attester, bool allowed);
    /// @notice `attester` attested that `account` is an ESS structure, which may then accept an
    /// invitation as one.
    event EssStructureAttested(address indexed account, address indexed attester);
    /// @notice ERC-5192: membership token `tokenId` is locked to its member (emitted on joining).
    event Locked(uint256 tokenId);
    /// @notice The redistribution pool was bound, once, at deployment.
    event PoolBound(address indexed pool);

    /// @notice Invite `invitee` to join as `kind`; uses one of the caller's invitations. The
    /// caller must be past its probation. An ESS structure must also be attested to accept.
    function invite(address invitee, MemberKind kind) external;

    /// @notice Withdraw the invitation from `sponsor` to `invitee`; the sponsor or governance may.
    function revokeInvitation(address invitee, address sponsor) external;

    /// @notice Accept the invitation from `sponsor` as `kind`, paying the membership fee into the
    /// pool; reverts unless that very invitation is live.
    function acceptInvitation(address sponsor, MemberKind kind) external;

    /// @notice `acceptInvitation` approving the fee with an EIP-2612 permit.
    function acceptInvitationWithPermit(
        address sponsor,
        MemberKind kind,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice An attester attests that `account` (not a member) is an ESS structure.
    function attestEssStructure(address account) external;

    /// @notice Governance admits `account` as `kind`, sponsored by `sponsor` (may be 0); no fee.
    function admit(address account, MemberKind kind, address sponsor) external;

    /// @notice Governance excludes `member`: its votes end now, its rewards stop accruing.
    function exclude(address member, string calldata reason) external;

    /// @notice Governance sets the admission rules (probation applies to members joining later).
    function setRules(Rules calldata newRules) external;

    /// @notice Governance makes `attester` an attester of ESS structures, or not.
    function setAttester(address attester, bool allowed) external;

    /// @notice Governance sets the fee (in the pool's token) paid when accepting an invitation,
    /// at most the pool's `minRelationFeeCeiling`.
    function setMembershipFee(uint256 fee) external;

    /// @notice Bind the redistribution pool; the deployer calls it once while wiring.
    function bindPool(address pool_) external;

    /// @notice The governance (timelock) address.
    function governance() external view returns (address);

    /// @notice The redistribution pool, once bound.
    function pool() external view returns (address);

    /// @notice The record of `account` (all zero for a non-member).
    function memberOf(address account) external view returns (Member memory);

    /// @notice The invitation from `sponsor` to `invitee` (expiresAt 0 when none).
    function invitationOf(address invitee, address sponsor) external view returns (Invitation memory);

    /// @notice The attester that attested `account` as an ESS structure (0 when none).
    function attestationOf(address account) external view returns (address);

    /// @notice Whether `account` is a governed attester.
    function isAttester(address account) external view returns (bool);

    /// @notice Invitations `member` may send now, and when the next one accrues (0: at the cap).
    function invitationsAvailable(address member) external view returns (uint256 available, uint256 nextAt);

    /// @notice True while `account` is a member that has not been excluded.
    function isActiveMember(address account) external view returns (bool);

    /// @notice For a relation between two accounts: whether each is active, and each one's
    /// sponsor when that sponsor is itself active (0 otherwise). One call for the pool.
    function relationParties(address payer, address counterparty)
        external
        view
        returns (bool payerActive, bool counterpartyActive, address payerSponsor, address counterpartySponsor);

    /// @notice Active members now, probation included (the quorum's base).
    function activeMemberCount() external view returns (uint256);

    /// @notice The admission rules.
    function rules() external view returns (Rules memory);

    /// @notice Fee paid into the pool when accepting an invitation.
    function membershipFee() external view returns (uint256);
}
