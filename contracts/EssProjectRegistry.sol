// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEssProjectRegistry} from "./interfaces/IEssProjectRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

/// @title Registry of the ESS projects the DAO may fund
/// @notice See {IEssProjectRegistry}.
contract EssProjectRegistry is IEssProjectRegistry, ERC2771Context {
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

    /// @param membership_ the membership contract (who is an active ESS member)
    /// @param governance_ the timelock, which registers projects by vote and activates them
    /// @param forwarder the ERC-2771 forwarder trusted to relay members' signed requests
    constructor(address membership_, address governance_, address forwarder) ERC2771Context(forwarder) {
        if (membership_ == address(0) || governance_ == address(0)) revert EssProjectRegistryZeroAddress();
        _membership = IMembership(membership_);
        _governance = governance_;
    }

    /// @inheritdoc IEssProjectRegistry
    function registerProject(address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
        returns (uint256 projectId)
    {
        address sender = _msgSender();
        bool byGovernance = sender == _governance;
        if (!byGovernance && !_isActiveEssMember(sender)) {
            revert EssProjectRegistryNotEssMember(sender);
        }
        _checkProject(payoutWallet, metadataURI, metadataHash);
        projectId = ++_projectCount;
        // A member's own project waits for a vote; governance registering one is that vote.
        _projects[projectId] = Project(sender, byGovernance, 1, payoutWallet, metadataHash, metadataURI);
        emit EssProjectRegistered(projectId, sender, payoutWallet, metadataURI, metadataHash);
        if (byGovernance) emit EssProjectStatusChanged(projectId, true);
    }

    /// @inheritdoc IEssProjectRegistry
    function updateProject(uint256 projectId, address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
    {
        Project storage project = _existing(projectId);
        address sender = _msgSender();
        if (project.owner != sender) revert EssProjectRegistryNotOwner(projectId, sender);
        if (sender != _governance && !_isActiveEssMember(sender)) {
            revert EssProjectRegistryNotEssMember(sender);
        }
        _checkProject(payoutWallet, metadataURI, metadataHash);
        if (payoutWallet != project.payoutWallet) {
            // Voters approved payments to the wallet they saw: a new one voids every pending
            // activation and funding (they name the old version) and needs a new vote.
            project.walletVersion += 1;
            project.payoutWallet = payoutWallet;
            if (project.active) {
                project.active = false;
                emit EssProjectStatusChanged(projectId, false);
            }
        }
        project.metadataURI = metadataURI;
        project.metadataHash = metadataHash;
        emit EssProjectUpdated(projectId, payoutWallet, metadataURI, metadataHash, project.walletVersion);
    }

    /// @inheritdoc IEssProjectRegistry
    function activateProject(uint256 projectId, uint64 walletVersion) external onlyGovernance {
        Project storage project = _existing(projectId);
        if (project.walletVersion != walletVersion) {
            revert EssProjectRegistryWalletChanged(projectId, walletVersion, project.walletVersion);
        }
        if (project.active) revert EssProjectRegistryStatusUnchanged(projectId, true);
        project.active = true;
        emit EssProjectStatusChanged(projectId, true);
    }

    /// @inheritdoc IEssProjectRegistry
    function deactivateProject(uint256 projectId) external onlyGovernance {
        Project storage project = _existing(projectId);
        if (!project.active) revert EssProjectRegistryStatusUnchanged(projectId, false);
        project.active = false;
        emit EssProjectStatusChanged(projectId, false);
    }

    /// @inheritdoc IEssProjectRegistry
    function projectOf(uint256 projectId) external view returns (Project memory) {
        return _existing(projectId);
    }

    /// @inheritdoc IEssProjectRegistry
    function payoutOf(uint256 projectId)
        external
        view
        returns (address payoutWallet, bool active, uint64 walletVersion)
    {
        Project storage project = _projects[projectId];
        return (project.payoutWallet, project.active, project.walletVersion);
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
