// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title The forwarder the CMIR contracts trust (ERC-2771)
/// @notice OpenZeppelin's `ERC2771Forwarder`, unchanged: a member signs a `ForwardRequest`
/// (EIP-712, domain "CmirForwarder" version "1"), anyone sends it with `execute` and pays the gas,
/// and the target reads the member as `_msgSender()`. Each request spends the signer's nonce and
/// carries a deadline, so a relayer can only send a request as it was signed, once, in time.
/// @dev Holds no tokens and no approvals: a request to a contract that does not trust it (the
/// token, say) runs with the forwarder itself as the caller, which can move nothing.
contract CmirForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("CmirForwarder") {}
}
