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

/// @title CMIR membership
/// @notice See {IMembership}. The membership token is an ERC-721 whose id is the member's address
/// and which can never move (ERC-5192 "locked"). A member's past votes follow from its join and
/// exclusion times, so joining writes one word for the member and one checkpoint for the total:
/// the Governor reads both at a proposal's snapshot.
contract Membership is IERC165, IERC721, IMembership {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Token name, for wallets and explorers.
    string public constant name = "CMIR DAO Membership";
    /// @notice Token symbol, for wallets and explorers.
    string public constant symbol = "CMIR";

    address private immutable _governance;
    address private immutable _deployer;

    address private _pool;
    uint16 private _invitationAllowance;
    uint256 private _membershipFee;
    Checkpoints.Trace208 private _activeMembers;
    /// @dev A member's record as stored: the first word holds all a relation reads (sponsor,
    /// joined, excluded), so checking a relation's four parties costs one read each.
    struct Record {
        address sponsor;
        uint48 joinedAt;
        MemberKind kind;
        bool excluded;
        uint16 invitationsSent;
        uint48 excludedAt;
    }

    mapping(address account => Record) private _members;
    mapping(address invitee => Invitation) private _invitations;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert MembershipNotGovernance(msg.sender);
        _;
    }

    modifier onlyActiveMember() {
        if (!isActiveMember(msg.sender)) revert MembershipNotActiveMember(msg.sender);
        _;
    }

    /// @param governance_ the timelock that governs membership
    /// @param invitationAllowance_ invitations each member may send
    /// @param founders the first members, without sponsor
    /// @param founderKinds the kind of each founder
    constructor(
        address governance_,
        uint16 invitationAllowance_,
        address[] memory founders,
        MemberKind[] memory founderKinds
    ) {
        if (governance_ == address(0)) revert MembershipZeroAddress();
        if (founders.length != founderKinds.length) {
            revert MembershipFounderListsMismatch(founders.length, founderKinds.length);
        }
        _governance = governance_;
        _deployer = msg.sender;
        _setInvitationAllowance(invitationAllowance_);
        for (uint256 i = 0; i < founders.length; ++i) {
            _join(founders[i], founderKinds[i], address(0), 0, false);
        }
    }

    // ------------------------------------------------------------------ joining

    /// @inheritdoc IMembership
    function invite(address invitee, MemberKind kind) external onlyActiveMember {
        if (invitee == address(0)) revert MembershipZeroAddress();
        if (_members[invitee].joinedAt != 0) revert MembershipAlreadyMember(invitee);
        address pending = _invitations[invitee].sponsor;
        if (pending != address(0)) revert MembershipAlreadyInvited(invitee, pending);
        Record storage sponsor = _members[msg.sender];
        uint16 allowance = _invitationAllowance;
        if (sponsor.invitationsSent >= allowance) {
            revert MembershipInvitationAllowanceExhausted(msg.sender, allowance);
        }
        sponsor.invitationsSent += 1;
        _invitations[invitee] = Invitation(msg.sender, kind);
        emit MemberInvited(msg.sender, invitee, kind);
    }

    /// @inheritdoc IMembership
    function revokeInvitation(address invitee) external {
        if (_invitations[invitee].sponsor != msg.sender) revert MembershipNoInvitation(invitee);
        delete _invitations[invitee];
        // Cannot underflow: the invitation being revoked was counted when sent.
        unchecked {
            _members[msg.sender].invitationsSent -= 1;
        }
        emit InvitationRevoked(msg.sender, invitee);
    }

    /// @inheritdoc IMembership
    function acceptInvitation() external {
        _acceptInvitation();
    }

    /// @inheritdoc IMembership
    function acceptInvitationWithPermit(uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        uint256 fee = _membershipFee;
        if (fee != 0) {
            address token = IRedistribution(_pool).token();
            // A permit already used (say by a front-runner) is ignored: the allowance is then in place.
            // The token is the pool's immutable payment token; membership is recorded after it.
            // slither-disable-next-line reentrancy-events
            try IERC20Permit(token).permit(msg.sender, _pool, fee, deadline, v, r, s) {} catch {}
        }
        _acceptInvitation();
    }

    /// @inheritdoc IMembership
    function admit(address account, MemberKind kind, address sponsor) external onlyGovernance {
        if (sponsor != address(0) && !isActiveMember(sponsor)) revert MembershipSponsorNotActive(sponsor);
        address invitedBy = _invitations[account].sponsor;
        if (invitedBy != address(0)) {
            // A governance admission supersedes a pending invitation, which is given back.
            delete _invitations[account];
            // Cannot underflow: the superseded invitation was counted when sent.
            unchecked {
                _members[invitedBy].invitationsSent -= 1;
            }
            emit InvitationRevoked(invitedBy, account);
        }
        _join(account, kind, sponsor, 0, true);
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
        emit DelegateVotesChanged(member, 1, 0);
        emit Transfer(member, address(0), _tokenId(member));
        address pool_ = _pool;
        if (pool_ != address(0)) IRedistribution(pool_).freezeMemberRewards(member);
    }

    // ------------------------------------------------------------------ governance settings

    /// @inheritdoc IMembership
    function setInvitationAllowance(uint16 allowance) external onlyGovernance {
        _setInvitationAllowance(allowance);
    }

    /// @inheritdoc IMembership
    function setMembershipFee(uint256 fee) external onlyGovernance {
        if (fee != 0 && _pool == address(0)) revert MembershipZeroAddress();
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
        return isActiveMember(account) ? 1 : 0;
    }

    /// @inheritdoc IVotes
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256) {
        _checkPast(timepoint);
        Record memory m = _members[account];
        bool active = m.joinedAt != 0 && m.joinedAt <= timepoint && (m.excludedAt == 0 || timepoint < m.excludedAt);
        return active ? 1 : 0;
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
        return Member(m.sponsor, m.joinedAt, m.kind, m.invitationsSent, m.excludedAt);
    }

    /// @inheritdoc IMembership
    function invitationOf(address invitee) external view returns (Invitation memory) {
        return _invitations[invitee];
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
    function invitationAllowance() external view returns (uint16) {
        return _invitationAllowance;
    }

    /// @inheritdoc IMembership
    function membershipFee() external view returns (uint256) {
        return _membershipFee;
    }

    // ------------------------------------------------------------------ internals

    function _acceptInvitation() private {
        Invitation memory invitation = _invitations[msg.sender];
        if (invitation.sponsor == address(0)) revert MembershipNoInvitation(msg.sender);
        if (!isActiveMember(invitation.sponsor)) revert MembershipSponsorNotActive(invitation.sponsor);
        delete _invitations[msg.sender];
        uint256 fee = _membershipFee;
        _join(msg.sender, invitation.kind, invitation.sponsor, fee, false);
        // Interaction last: the pool takes the fee (the member approved it) and splits it.
        if (fee != 0) IRedistribution(_pool).collectMembershipFee(msg.sender, fee);
    }

    function _join(address account, MemberKind kind, address sponsor, uint256 fee, bool byGovernance) private {
        if (account == address(0)) revert MembershipZeroAddress();
        Record storage m = _members[account];
        if (m.joinedAt != 0) revert MembershipAlreadyMember(account);
        uint48 now_ = clock();
        m.sponsor = sponsor;
        m.joinedAt = now_;
        m.kind = kind;
        // push returns the previous and new totals, which are already known here.
        // slither-disable-next-line unused-return
        _activeMembers.push(now_, _activeMembers.latest() + 1);
        emit MemberJoined(account, sponsor, kind, now_, fee, byGovernance);
        emit DelegateVotesChanged(account, 0, 1);
        emit Transfer(address(0), account, _tokenId(account));
        emit Locked(_tokenId(account));
    }

    function _activeSponsor(address account) private view returns (address sponsor) {
        sponsor = _members[account].sponsor;
        if (sponsor != address(0) && !isActiveMember(sponsor)) sponsor = address(0);
    }

    function _setInvitationAllowance(uint16 allowance) private {
        emit InvitationAllowanceChanged(_invitationAllowance, allowance);
        _invitationAllowance = allowance;
    }

    function _checkPast(uint256 timepoint) private view {
        uint48 now_ = clock();
        if (timepoint >= now_) revert MembershipFutureLookup(timepoint, now_);
    }

    function _tokenId(address account) private pure returns (uint256) {
        return uint256(uint160(account));
    }
}
