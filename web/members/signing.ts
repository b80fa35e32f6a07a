// What a member signs: an EIP-2612 permit (the token), an ERC2771Forwarder ForwardRequest and the
// Governor's ExtendedBallot; each domain read from its contract (ERC-5267 eip712Domain).
import { parseSignature, type Address, type Hex } from "viem";
import { contract } from "./config";
import { chainside, type Session } from "./wallet";

interface Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: Address;
}

async function domainOf(role: string): Promise<Domain> {
  const side = chainside();
  const c = contract(side.config, role);
  const [, name, version, chainId, verifyingContract] = (await side.client.readContract({
    address: c.address,
    abi: c.abi,
    functionName: "eip712Domain",
  })) as readonly [Hex, string, string, bigint, Address, Hex, readonly bigint[]];
  return { name, version, chainId, verifyingContract };
}

async function nonceOf(role: string, owner: Address): Promise<bigint> {
  const side = chainside();
  const c = contract(side.config, role);
  return (await side.client.readContract({ address: c.address, abi: c.abi, functionName: "nonces", args: [owner] })) as bigint;
}

export interface Permit {
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/** Sign a permit letting `spender` take `value` of the member's tokens until `deadline`. */
export async function signPermit(session: Session, spender: Address, value: bigint, ttlSeconds = 3600): Promise<Permit> {
  const domain = await domainOf("token");
  const nonce = await nonceOf("token", session.address);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + ttlSeconds);
  const signature = await session.wallet.signTypedData({
    account: session.address,
    domain,
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: session.address, spender, value, nonce, deadline },
  });
  const { v, r, s, yParity } = parseSignature(signature);
  return { deadline, v: Number(v ?? BigInt(27 + yParity)), r, s };
}

/** Sign a ForwardRequest for the forwarder to call `to` with `data` as the member. */
export async function signForwardRequest(session: Session, to: Address, data: Hex, gas: bigint, ttlSeconds = 3600) {
  const domain = await domainOf("forwarder");
  const nonce = await nonceOf("forwarder", session.address);
  const deadline = Math.floor(Date.now() / 1000) + ttlSeconds;
  const message = { from: session.address, to, value: 0n, gas, nonce, deadline, data };
  const signature = await session.wallet.signTypedData({
    account: session.address,
    domain,
    types: {
      ForwardRequest: [
        { name: "from", type: "address" },
        { name: "to", type: "address" },
        { name: "value", type: "uint256" },
        { name: "gas", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint48" },
        { name: "data", type: "bytes" },
      ],
    },
    primaryType: "ForwardRequest",
    message,
  });
  return { ...message, signature };
}

/** Sign the Governor's ExtendedBallot (castVoteWithReasonAndParamsBySig). */
export async function signBallot(session: Session, proposalId: bigint, support: number, reason: string) {
  const domain = await domainOf("governor");
  const nonce = await nonceOf("governor", session.address);
  const message = { proposalId, support, voter: session.address, nonce, reason, params: "0x" as Hex };
  const signature = await session.wallet.signTypedData({
    account: session.address,
    domain,
    types: {
      ExtendedBallot: [
        { name: "proposalId", type: "uint256" },
        { name: "support", type: "uint8" },
        { name: "voter", type: "address" },
        { name: "nonce", type: "uint256" },
        { name: "reason", type: "string" },
        { name: "params", type: "bytes" },
      ],
    },
    primaryType: "ExtendedBallot",
    message,
  });
  return { ...message, signature };
}
