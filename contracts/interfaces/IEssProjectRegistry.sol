// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Registry of the ESS projects the DAO may fund
/// @notice A project has a payout wallet and off-chain metadata (name, legal form, territory
/// codes, themes, description) at `metadataURI`, whose keccak-256 is `metadataHash` so anyone can
/// check the document they fetch. An active ESS-structure member registers its own projects and
/// keeps them up to date; governance registers projects too and switches them on and off.
/// Changing a project's payout wallet switches the project off until governance switches it on
/// again: a funding proposal voted for one wallet can never pay another.
interface IEssProjectRegistry {
    /// @notice A registered project.
    struct Project {
        address owner;
        bool active;
        address payoutWallet;
        bytes32 metadataHash;
        string metadataURI;
    }

    /// @notice The caller is neither an active ESS-structure member nor the governance.
    error EssProjectRegistryNotEssMember(address caller);
    /// @notice The caller is not the governance (timelock).
    error EssProjectRegistryNotGovernance(address caller);
    /// @notice The caller does not own project `projectId`.
    error EssProjectRegistryNotOwner(uint256 projectId, address caller);
    /// @notice No project has id `projectId`.
    error EssProjectRegistryUnknownProject(uint256 projectId);
    /// @notice A payout wallet cannot be the zero address.
    error EssProjectRegistryZeroWallet();
    /// @notice The registry needs a membership contract and a governance address.
    error EssProjectRegistryZeroAddress();
    /// @notice Metadata needs a URI (at most `maxLength` bytes) and a non-zero hash.
    error EssProjectRegistryInvalidMetadata(uint256 uriLength, uint256 maxLength);
    /// @notice Project `projectId` already has status `active`.
    error EssProjectRegistryStatusUnchanged(uint256 projectId, bool active);

    /// @notice Project `projectId` was registered by `owner`; it starts active.
    event EssProjectRegistered(
        uint256 indexed projectId,
        address indexed owner,
        address payoutWallet,
        string metadataURI,
        bytes32 metadataHash
    );
    /// @notice Project `projectId` changed its payout wallet or metadata.
    event EssProjectUpdated(uint256 indexed projectId, address payoutWallet, string metadataURI, bytes32 metadataHash);
    /// @notice Governance switched project `projectId` on or off.
    event EssProjectStatusChanged(uint256 indexed projectId, bool active);

    /// @notice Register a project owned by the caller; returns its id (ids start at 1).
    function registerProject(address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
        returns (uint256 projectId);

    /// @notice The owner (an active ESS-structure member, or the governance) changes the payout
    /// wallet and metadata of its project; a new wallet switches the project off.
    function updateProject(uint256 projectId, address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external;

    /// @notice Governance switches a project on or off.
    function setProjectActive(uint256 projectId, bool active) external;

    /// @notice A project's record; reverts for an unknown id.
    function projectOf(uint256 projectId) external view returns (Project memory);

    /// @notice The payout wallet of a project and whether it is active (wallet 0: unknown id).
    function payoutOf(uint256 projectId) external view returns (address payoutWallet, bool active);

    /// @notice How many projects were registered (the highest id).
    function projectCount() external view returns (uint256);
}
