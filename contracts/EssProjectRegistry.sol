// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEssProjectRegistry} from "./interfaces/IEssProjectRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";

/// @title Registry of the ESS projects the DAO may fund
/// @notice See {IEssProjectRegistry}.
contract EssProjectRegistry is IEssProjectRegistry {
    /// @notice Longest metadata URI accepted, in bytes.
    uint256 public constant MAX_URI_LENGTH = 512;

    IMembership private immutable _membership;
    address private immutable _governance;

    uint256 private _projectCount;
    mapping(uint256 projectId => Project) private _projects;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert EssProjectRegistryNotGovernance(msg.sender);
        _;
    }

    constructor(address membership_, address governance_) {
        if (membership_ == address(0) || governance_ == address(0)) revert EssProjectRegistryZeroAddress();
        _membership = IMembership(membership_);
        _governance = governance_;
    }

    /// @inheritdoc IEssProjectRegistry
    function registerProject(address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
        returns (uint256 projectId)
    {
        if (msg.sender != _governance && !_isActiveEssMember(msg.sender)) {
            revert EssProjectRegistryNotEssMember(msg.sender);
        }
        _checkProject(payoutWallet, metadataURI, metadataHash);
        projectId = ++_projectCount;
        _projects[projectId] = Project(msg.sender, true, payoutWallet, metadataHash, metadataURI);
        emit EssProjectRegistered(projectId, msg.sender, payoutWallet, metadataURI, metadataHash);
    }

    /// @inheritdoc IEssProjectRegistry
    function updateProject(uint256 projectId, address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
    {
        Project storage project = _existing(projectId);
        if (project.owner != msg.sender) revert EssProjectRegistryNotOwner(projectId, msg.sender);
        if (msg.sender != _governance && !_isActiveEssMember(msg.sender)) {
            revert EssProjectRegistryNotEssMember(msg.sender);
        }
        _checkProject(payoutWallet, metadataURI, metadataHash);
        if (payoutWallet != project.payoutWallet && project.active) {
            // Voters approved payments to the wallet they saw: a new one needs a new approval.
            project.active = false;
            emit EssProjectStatusChanged(projectId, false);
        }
        project.payoutWallet = payoutWallet;
        project.metadataURI = metadataURI;
        project.metadataHash = metadataHash;
        emit EssProjectUpdated(projectId, payoutWallet, metadataURI, metadataHash);
    }

    /// @inheritdoc IEssProjectRegistry
    function setProjectActive(uint256 projectId, bool active) external onlyGovernance {
        Project storage project = _existing(projectId);
        if (project.active == active) revert EssProjectRegistryStatusUnchanged(projectId, active);
        project.active = active;
        emit EssProjectStatusChanged(projectId, active);
    }

    /// @inheritdoc IEssProjectRegistry
    function projectOf(uint256 projectId) external view returns (Project memory) {
        return _existing(projectId);
    }

    /// @inheritdoc IEssProjectRegistry
    function payoutOf(uint256 projectId) external view returns (address payoutWallet, bool active) {
        Project storage project = _projects[projectId];
        return (project.payoutWallet, project.active);
    }

    /// @inheritdoc IEssProjectRegistry
    function projectCount() external view returns (uint256) {
        return _projectCount;
    }

    /// @notice The membership contract whose ESS-structure members may register projects.
    function membership() external view returns (address) {
        return address(_membership);
    }

    /// @notice The governance (timelock) address.
    function governance() external view returns (address) {
        return _governance;
    }

    function _existing(uint256 projectId) private view returns (Project storage project) {
        project = _projects[projectId];
        if (project.owner == address(0)) revert EssProjectRegistryUnknownProject(projectId);
    }

    function _isActiveEssMember(address account) private view returns (bool) {
        return _membership.isActiveMember(account)
            && _membership.memberOf(account).kind == IMembership.MemberKind.EssStructure;
    }

    function _checkProject(address payoutWallet, string calldata metadataURI, bytes32 metadataHash) private pure {
        if (payoutWallet == address(0)) revert EssProjectRegistryZeroWallet();
        uint256 length = bytes(metadataURI).length;
        if (length == 0 || length > MAX_URI_LENGTH || metadataHash == bytes32(0)) {
            revert EssProjectRegistryInvalidMetadata(length, MAX_URI_LENGTH);
        }
    }
}
