// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IRedistribution} from "./interfaces/IRedistribution.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

/// @title CMIR membership
/// @notice See {IMembership}. The membership token is an ERC-721 whose id is the member's address
/// and which can never move (ERC-5192 "locked"). A member's past votes follow from its join and
/// exclusion times, so joining writes one word for the member and one checkpoint for the total:
/// the Governor reads both at a proposal's snapshot.
contract Membership is IERC165, IERC721, IMembership, ERC2771Context {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Token name, for wallets and explorers.
    string public constant name = "CMIR DAO Membership";
    /// @notice Token symbol, for wallets and explorers.
    string public constant symbol = "CMIR";

    address private immutable _governance;
    address private immutable _deployer;

    /// @notice Longest probation governance may set.
    uint48 public constant MAX_PROBATION = 365 days;
    /// @notice Longest time for one invitation to accrue.
    uint48 public constant MAX_INVITATION_REFILL_PERIOD = 365 days;
    /// @notice Most unused invitations a member may hold.
    uint16 public constant MAX_INVITATION_CAP = 100;
    /// @notice Shortest and longest life of an invitation.
    uint48 public constant MIN_INVITATION_TTL = 1 hours;
    uint48 public constant MAX_INVITATION_TTL = 365 days;

    address private _pool;
    Rules private _rules;
    uint256 private _membershipFee;
    Checkpoints.Trace208 private _activeMembers;
    /// @dev A member's record as stored. The first word holds all a relation reads (sponsor,
    /// joined, excluded), so checking a relation's four parties costs one read each; the second
    /// holds all a vote reads (from when it counts, until when).
    struct Record {
        address sponsor;
        uint48 joinedAt;
        MemberKind kind;
        bool excluded;
        uint16 invitationsSent;
        uint48 votesFrom;
        uint48 excludedAt;
        // Invitations accrue from here: one per refill period, up to the cap (see _credits).
        uint48 invitationAnchor;
    }

    mapping(address account => Record) private _members;
    mapping(address invitee => mapping(address sponsor => Invitation)) private _invitations;
    mapping(address account => bool) private _attesters;
    mapping(address account => address attester) private _attestations;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert MembershipNotGovernance(msg.sender);
        _;
    }

    /// @param governance_ the timelock that governs membership
    /// @param rules_ probation, invitation refill period and cap, invitation life
    /// @param founders the first members, without sponsor or probation, with a full allowance
    /// @param founderKinds the kind of each founder
    /// @param forwarder the ERC-2771 forwarder trusted to relay members' signed requests
    constructor(
        address governance_,
        Rules memory rules_,
        address[] memory founders,
        MemberKind[] memory founderKinds,
        address forwarder
    ) ERC2771Context(forwarder) {
        if (governance_ == address(0)) revert MembershipZeroAddress();
        if (founders.length != founderKinds.length) {
            revert MembershipFounderListsMismatch(founders.length, founderKinds.length);
        }
        _governance = governance_;
        _deployer = msg.sender;
        _setRules(rules_);
        for (uint256 i = 0; i < founders.length; ++i) {
            _join(founders[i], founderKinds[i], address(0), 0, false, true);
        }
    }

    // ------------------------------------------------------------------ joining

    /// @inheritdoc IMembership
    function invite(address invitee, MemberKind kind) external {
        address inviter = _msgSender();
        Record storage sponsor = _members[inviter];
        if (sponsor.joinedAt == 0 || sponsor.excluded) revert MembershipNotActiveMember(inviter);
        uint48 now_ = clock();
        if (now_ < sponsor.votesFrom) revert MembershipInProbation(inviter, sponsor.votesFrom);
        if (invitee == address(0)) revert MembershipZeroAddress();
        if (_members[invitee].joinedAt != 0) revert MembershipAlreadyMember(invitee);
        // An expired invitation from the same sponsor may be renewed; a live one is not doubled.
        if (_invitations[invitee][inviter].expiresAt > now_) revert MembershipAlreadyInvited(invitee, inviter);
        Rules memory r = _rules;
        (uint256 available, uint256 nextAt) = _credits(sponsor.invitationAnchor, r, now_);
        if (available == 0) revert MembershipNoInvitationLeft(inviter, nextAt);
        // Cannot underflow: available >= 1 means the anchor is at least one period in the past,
        // and at the cap it is at least cap periods in the past.
        unchecked {
            sponsor.invitationAnchor = available >= r.invitationCap
                ? now_ - uint48(r.invitationCap - 1) * r.invitationRefillPeriod
                : sponsor.invitationAnchor + r.invitationRefillPeriod;
        }
        if (sponsor.invitationsSent < type(uint16).max) sponsor.invitationsSent += 1;
        uint48 expiresAt = now_ + r.invitationTtl;
        _invitations[invitee][inviter] = Invitation(inviter, kind, expiresAt);
        emit MemberInvited(inviter, invitee, kind, expiresAt);
    }

    /// @inheritdoc IMembership
    function revokeInvitation(address invitee, address sponsor) external {
        if (_invitations[invitee][sponsor].expiresAt == 0) revert MembershipNoInvitation(invitee, sponsor);
        address caller = _msgSender();
        if (caller != sponsor && caller != _governance) {
            revert MembershipNotInvitationSponsor(caller, sponsor);
        }
        delete _invitations[invitee][sponsor];
        Record storage m = _members[sponsor];
        // The sponsor gets the invitation back: its allowance accrues one period earlier.
        uint48 period = _rules.invitationRefillPeriod;
        m.invitationAnchor = m.invitationAnchor > period ? m.invitationAnchor - period : 0;
        if (m.invitationsSent > 0) m.invitationsSent -= 1;
        emit InvitationRevoked(sponsor, invitee, caller);
    }

    /// @inheritdoc IMembership
    function acceptInvitation(address sponsor, MemberKind kind) external {
        _acceptInvitation(_msgSender(), sponsor, kind);
    }

    /// @inheritdoc IMembership
    function acceptInvitationWithPermit(
        address sponsor,
        MemberKind kind,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        address invitee = _msgSender();
        uint256 fee = _membershipFee;
        if (fee != 0) {
            address token = IRedistribution(_pool).token();
            // A permit already used (say by a front-runner) is ignored: the allowance is then in place.
            // The token is the pool's immutable payment token; membership is recorded after it.
            // slither-disable-next-line reentrancy-events
            try IERC20Permit(token).permit(invitee, _pool, fee, deadline, v, r, s) {} catch {}
        }
        _acceptInvitation(invitee, sponsor, kind);
    }

    /// @inheritdoc IMembership
    function attestEssStructure(address account) external {
        address attester = _msgSender();
        if (!_attesters[attester]) revert MembershipNotAttester(attester);
        if (account == address(0)) revert MembershipZeroAddress();
        if (_members[account].joinedAt != 0) revert MembershipAlreadyMember(account);
        _attestations[account] = attester;
        emit EssStructureAttested(account, attester);
    }

    /// @inheritdoc IMembership
    function admit(address account, MemberKind kind, address sponsor) external onlyGovernance {
        if (sponsor != address(0) && !isActiveMember(sponsor)) revert MembershipSponsorNotActive(sponsor);
        _join(account, kind, sponsor, 0, true, false);
    }

    /// @inheritdoc IMembership
    function exclude(address member, string calldata reason) external onlyGovernance {
        if (!isActiveMember(member)) revert MembershipNotActiveMember(member);
        uint48 now_ = clock();
        Record storage excluded = _members[member];
        excluded.excluded = true;
        excluded.excludedAt = now_;
        // push returns the previous and new totals, which are already known here.
        // slither-disable-next-line unused-return
        _activeMembers.push(now_, _activeMembers.latest() - 1);
        emit MemberExcluded(member, now_, reason);
        if (excluded.votesFrom <= now_) emit DelegateVotesChanged(member, 1, 0);
        emit Transfer(member, address(0), _tokenId(member));
        address pool_ = _pool;
        if (pool_ != address(0)) IRedistribution(pool_).freezeMemberRewards(member);
    }

    // ------------------------------------------------------------------ governance settings

    /// @inheritdoc IMembership
    function setRules(Rules calldata newRules) external onlyGovernance {
        _setRules(newRules);
    }

    /// @inheritdoc IMembership
    function setAttester(address attester, bool allowed) external onlyGovernance {
        if (attester == address(0)) revert MembershipZeroAddress();
        _attesters[attester] = allowed;
        emit AttesterChanged(attester, allowed);
    }

    /// @inheritdoc IMembership
    function setMembershipFee(uint256 fee) external onlyGovernance {
        address pool_ = _pool;
        if (fee != 0) {
            if (pool_ == address(0)) revert MembershipZeroAddress();
            uint256 ceiling = IRedistribution(pool_).minRelationFeeCeiling();
            if (fee > ceiling) revert MembershipFeeAboveCeiling(fee, ceiling);
        }
        emit MembershipFeeChanged(_membershipFee, fee);
        _membershipFee = fee;
    }

    /// @inheritdoc IMembership
    function bindPool(address pool_) external {
        if (msg.sender != _deployer) revert MembershipNotDeployer(msg.sender);
        if (_pool != address(0)) revert MembershipPoolAlreadyBound(_pool);
        if (pool_ == address(0)) revert MembershipZeroAddress();
        _pool = pool_;
        emit PoolBound(pool_);
    }

    // ------------------------------------------------------------------ votes (IVotes, ERC-6372)

    /// @inheritdoc IERC6372
    function clock() public view returns (uint48) {
        return Time.timestamp();
    }

    /// @inheritdoc IERC6372
    // The name is fixed by ERC-6372.
    // slither-disable-next-line naming-convention
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc IVotes
    function getVotes(address account) external view returns (uint256) {
        return isActiveMember(account) && _members[account].votesFrom <= clock() ? 1 : 0;
    }

    /// @inheritdoc IVotes
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256) {
        _checkPast(timepoint);
        // One storage word: a vote counts from the end of probation until exclusion.
        Record storage m = _members[account];
        uint48 votesFrom = m.votesFrom;
        uint48 excludedAt = m.excludedAt;
        bool counts = votesFrom != 0 && votesFrom <= timepoint && (excludedAt == 0 || timepoint < excludedAt);
        return counts ? 1 : 0;
    }

    /// @inheritdoc IVotes
    function getPastTotalSupply(uint256 timepoint) external view returns (uint256) {
        _checkPast(timepoint);
        return _activeMembers.upperLookupRecent(uint48(timepoint));
    }

    /// @inheritdoc IVotes
    function delegates(address account) external view returns (address) {
        return isActiveMember(account) ? account : address(0);
    }

    /// @inheritdoc IVotes
    function delegate(address) external pure {
        revert MembershipDelegationDisabled();
    }

    /// @inheritdoc IVotes
    function delegateBySig(address, uint256, uint256, uint8, bytes32, bytes32) external pure {
        revert MembershipDelegationDisabled();
    }

    // ------------------------------------------------------------------ soulbound ERC-721

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert MembershipZeroAddress();
        return isActiveMember(owner) ? 1 : 0;
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) public view returns (address) {
        if (tokenId > type(uint160).max || !isActiveMember(address(uint160(tokenId)))) {
            revert MembershipNonexistentToken(tokenId);
        }
        return address(uint160(tokenId));
    }

    /// @notice ERC-5192: every membership token is locked to its member.
    function locked(uint256 tokenId) external view returns (bool) {
        ownerOf(tokenId);
        return true;
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        ownerOf(tokenId);
        return address(0);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC721
    function approve(address, uint256) external pure {
        revert MembershipSoulbound();
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address, bool) external pure {
        revert MembershipSoulbound();
    }

    /// @inheritdoc IERC721
    function transferFrom(address, address, uint256) external pure {
        revert MembershipSoulbound();
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address, address, uint256) external pure {
        revert MembershipSoulbound();
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address, address, uint256, bytes calldata) external pure {
        revert MembershipSoulbound();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC165).interfaceId
            || interfaceId == 0xb45a3c0e // ERC-5192
            || interfaceId == type(IERC6372).interfaceId || interfaceId == type(IVotes).interfaceId;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMembership
    function governance() external view returns (address) {
        return _governance;
    }

    /// @inheritdoc IMembership
    function pool() external view returns (address) {
        return _pool;
    }

    /// @inheritdoc IMembership
    function memberOf(address account) external view returns (Member memory) {
        Record memory m = _members[account];
        return Member(m.sponsor, m.joinedAt, m.kind, m.invitationsSent, m.excludedAt, m.votesFrom);
    }

    /// @inheritdoc IMembership
    function invitationOf(address invitee, address sponsor) external view returns (Invitation memory) {
        return _invitations[invitee][sponsor];
    }

    /// @inheritdoc IMembership
    function attestationOf(address account) external view returns (address) {
        return _attestations[account];
    }

    /// @inheritdoc IMembership
    function isAttester(address account) external view returns (bool) {
        return _attesters[account];
    }

    /// @inheritdoc IMembership
    function invitationsAvailable(address member) external view returns (uint256 available, uint256 nextAt) {
        if (!isActiveMember(member)) return (0, 0);
        return _credits(_members[member].invitationAnchor, _rules, clock());
    }

    /// @inheritdoc IMembership
    function isActiveMember(address account) public view returns (bool) {
        Record storage m = _members[account];
        return m.joinedAt != 0 && !m.excluded;
    }

    /// @inheritdoc IMembership
    function relationParties(address payer, address counterparty)
        external
        view
        returns (bool payerActive, bool counterpartyActive, address payerSponsor, address counterpartySponsor)
    {
        payerActive = isActiveMember(payer);
        counterpartyActive = isActiveMember(counterparty);
        payerSponsor = _activeSponsor(payer);
        counterpartySponsor = _activeSponsor(counterparty);
    }

    /// @inheritdoc IMembership
    function activeMemberCount() external view returns (uint256) {
        return _activeMembers.latest();
    }

    /// @inheritdoc IMembership
    function rules() external view returns (Rules memory) {
        return _rules;
    }

    /// @inheritdoc IMembership
    function membershipFee() external view returns (uint256) {
        return _membershipFee;
    }

    // ------------------------------------------------------------------ internals

    function _acceptInvitation(address invitee, address sponsor, MemberKind kind) private {
        Invitation memory invitation = _invitations[invitee][sponsor];
        if (invitation.expiresAt == 0) revert MembershipNoInvitation(invitee, sponsor);
        if (invitation.kind != kind) revert MembershipInvitationKindMismatch(invitee, sponsor, invitation.kind, kind);
        if (clock() >= invitation.expiresAt) {
            revert MembershipInvitationExpired(invitee, sponsor, invitation.expiresAt);
        }
        // An excluded sponsor's invitations lapse.
        if (!isActiveMember(sponsor)) revert MembershipSponsorNotActive(sponsor);
        if (kind == MemberKind.EssStructure) {
            // An attestation counts while its attester still is one.
            address attester = _attestations[invitee];
            if (attester == address(0) || !_attesters[attester]) revert MembershipEssStructureNotAttested(invitee);
        }
        delete _invitations[invitee][sponsor];
        uint256 fee = _membershipFee;
        _join(invitee, kind, sponsor, fee, false, false);
        // Interaction last: the pool takes the fee (the member approved it) and splits it.
        if (fee != 0) IRedistribution(_pool).collectMembershipFee(invitee, fee);
    }

    function _join(address account, MemberKind kind, address sponsor, uint256 fee, bool byGovernance, bool founder)
        private
    {
        if (account == address(0)) revert MembershipZeroAddress();
        Record storage m = _members[account];
        if (m.joinedAt != 0) revert MembershipAlreadyMember(account);
        uint48 now_ = clock();
        Rules memory r = _rules;
        uint48 votesFrom = founder ? now_ : now_ + r.probation;
        m.sponsor = sponsor;
        m.joinedAt = now_;
        m.kind = kind;
        m.votesFrom = votesFrom;
        if (founder) {
            // Founders start with a full allowance: someone has to invite the first members.
            uint48 full = uint48(r.invitationCap) * r.invitationRefillPeriod;
            m.invitationAnchor = now_ > full ? now_ - full : 0;
        } else {
            m.invitationAnchor = votesFrom;
        }
        // push returns the previous and new totals, which are already known here.
        // slither-disable-next-line unused-return
        _activeMembers.push(now_, _activeMembers.latest() + 1);
        emit MemberJoined(account, sponsor, kind, now_, fee, byGovernance, votesFrom);
        if (founder) emit DelegateVotesChanged(account, 0, 1);
        emit Transfer(address(0), account, _tokenId(account));
        emit Locked(_tokenId(account));
    }

    /// @dev Invitations available at `now_` from `anchor`: one per refill period since the
    /// anchor, at most the cap; and when the next accrues (0 at the cap).
    function _credits(uint48 anchor, Rules memory r, uint48 now_) private pure returns (uint256 available, uint256 nextAt) {
        uint256 period = r.invitationRefillPeriod;
        if (now_ < anchor) return (0, uint256(anchor) + period);
        available = (now_ - anchor) / period;
        if (available >= r.invitationCap) return (r.invitationCap, 0);
        nextAt = uint256(anchor) + (available + 1) * period;
    }

    function _activeSponsor(address account) private view returns (address sponsor) {
        sponsor = _members[account].sponsor;
        if (sponsor != address(0) && !isActiveMember(sponsor)) sponsor = address(0);
    }

    function _setRules(Rules memory newRules) private {
        _checkRule(newRules.probation, 0, MAX_PROBATION);
        _checkRule(newRules.invitationRefillPeriod, 1, MAX_INVITATION_REFILL_PERIOD);
        _checkRule(newRules.invitationCap, 1, MAX_INVITATION_CAP);
        _checkRule(newRules.invitationTtl, MIN_INVITATION_TTL, MAX_INVITATION_TTL);
        emit MembershipRulesChanged(_rules, newRules);
        _rules = newRules;
    }

    function _checkRule(uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert MembershipRuleOutOfRange(value, min, max);
    }

    function _checkPast(uint256 timepoint) private view {
        uint48 now_ = clock();
        if (timepoint >= now_) revert MembershipFutureLookup(timepoint, now_);
    }

    function _tokenId(address account) private pure returns (uint256) {
        return uint256(uint160(account));
    }
}
