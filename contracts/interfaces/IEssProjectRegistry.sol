// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Registry of the ESS projects the DAO may fund
/// @notice A project has a payout wallet and off-chain metadata (name, legal form, territory
/// codes, themes, description) at `metadataURI`, whose keccak-256 is `metadataHash` so anyone can
/// check the document they fetch. An active ESS-structure member registers its own projects and
/// keeps them up to date; a project it registers cannot be paid until governance activates it.
/// Governance registers projects too (active at once: the vote was the approval) and switches
/// them on and off. Every payout wallet has a version, counted from 1 and bumped by each change:
/// an activation or a funding names the wallet and version its voters saw, and any change of
/// wallet switches the project off and voids every pending activation and funding.
interface IEssProjectRegistry {
    /// @notice A registered project.
    struct Project {
        address owner;
        bool active;
        uint64 walletVersion;
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
    /// @notice The activation was voted for wallet version `expected`; the project is at `current`.
    error EssProjectRegistryWalletChanged(uint256 projectId, uint64 expected, uint64 current);

    /// @notice Project `projectId` was registered by `owner` with wallet version 1; it starts
    /// inactive (governance's own registrations are switched on at once, by the next event).
    event EssProjectRegistered(
        uint256 indexed projectId,
        address indexed owner,
        address payoutWallet,
        string metadataURI,
        bytes32 metadataHash
    );
    /// @notice Project `projectId` changed its metadata or its payout wallet (`walletVersion`
    /// counts the wallets it has had).
    event EssProjectUpdated(
        uint256 indexed projectId, address payoutWallet, string metadataURI, bytes32 metadataHash, uint64 walletVersion
    );
    /// @notice Project `projectId` was switched on or off.
    event EssProjectStatusChanged(uint256 indexed projectId, bool active);

    /// @notice Register a project owned by the caller; returns its id (ids start at 1).
    function registerProject(address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external
        returns (uint256 projectId);

    /// @notice The owner (an active ESS-structure member, or the governance) changes the payout
    /// wallet and metadata of its project; a new wallet bumps the version and switches it off.
    function updateProject(uint256 projectId, address payoutWallet, string calldata metadataURI, bytes32 metadataHash)
        external;

    /// @notice Governance switches project `projectId` on, for the wallet at `walletVersion`.
    function activateProject(uint256 projectId, uint64 walletVersion) external;

    /// @notice Governance switches project `projectId` off.
    function deactivateProject(uint256 projectId) external;

    /// @notice A project's record; reverts for an unknown id.
    function projectOf(uint256 projectId) external view returns (Project memory);

    /// @notice A project's payout wallet, whether it is active, and the wallet's version
    /// (wallet 0: unknown id).
    function payoutOf(uint256 projectId)
        external
        view
        returns (address payoutWallet, bool active, uint64 walletVersion);

    /// @notice How many projects were registered (the highest id).
    function projectCount() external view returns (uint256);
}
