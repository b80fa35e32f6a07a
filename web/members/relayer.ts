// The relayer's HTTP interface, in one module: the API sends the member's signed requests and
// pays the gas. Routes (the relayer's, cmir/api/routers/relay*.py): POST /api/v1/relay/forward
// (an ERC2771Forwarder ForwardRequest and its signature), POST /api/v1/relay/vote (a Governor
// ExtendedBallot and its signature), GET /api/v1/relay/requests/{id} (its status).
import type { Address, Hex } from "viem";

export interface SignedForwardRequest {
  from: Address;
  to: Address;
  value: bigint;
  gas: bigint;
  nonce: bigint;
  deadline: number;
  data: Hex;
  signature: Hex;
}

export interface SignedBallot {
  proposalId: bigint;
  support: number;
  voter: Address;
  nonce: bigint;
  reason: string;
  params: Hex;
  signature: Hex;
}

export interface RelayStatus {
  id: string;
  status: string;
  tx_hash: Hex | null;
  error: string | null;
  revert_data?: Hex | null;
}

/** A refusal of the relayer (4xx) or its failure, with its own words. */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly data: Hex | null = null,
  ) {
    super(message);
  }
}

async function post(path: string, body: unknown): Promise<RelayStatus> {
  const response = await fetch(`/api/v1/relay/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as Partial<RelayStatus> & { detail?: unknown };
  if (!response.ok) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail ?? response.statusText);
    throw new RelayError(detail, response.status, (answer.revert_data as Hex | undefined) ?? null);
  }
  return answer as RelayStatus;
}

export function relayForward(request: SignedForwardRequest): Promise<RelayStatus> {
  return post("forward", {
    from: request.from,
    to: request.to,
    value: request.value.toString(),
    gas: request.gas.toString(),
    nonce: request.nonce.toString(),
    deadline: request.deadline,
    data: request.data,
    signature: request.signature,
  });
}

export function relayVote(ballot: SignedBallot): Promise<RelayStatus> {
  return post("vote", {
    proposal_id: ballot.proposalId.toString(),
    support: ballot.support,
    voter: ballot.voter,
    nonce: ballot.nonce.toString(),
    reason: ballot.reason,
    params: ballot.params,
    signature: ballot.signature,
  });
}

export async function relayStatus(id: string): Promise<RelayStatus> {
  const response = await fetch(`/api/v1/relay/requests/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new RelayError(`status ${response.status}`, response.status);
  return (await response.json()) as RelayStatus;
}

const DONE = new Set(["mined", "confirmed", "succeeded", "success", "done"]);
const FAILED = new Set(["failed", "reverted", "refused", "rejected", "expired"]);

/** Poll a request until it is mined (its transaction hash) or failed (a RelayError). */
export async function waitRelayed(first: RelayStatus, onStatus: (status: RelayStatus) => void, timeoutMs = 120_000): Promise<Hex> {
  let current = first;
  const started = Date.now();
  for (;;) {
    onStatus(current);
    if (DONE.has(current.status) && current.tx_hash) return current.tx_hash;
    if (FAILED.has(current.status)) throw new RelayError(current.error ?? current.status, 200, current.revert_data ?? null);
    if (Date.now() - started > timeoutMs) throw new RelayError("timeout", 0);
    await new Promise((resolve) => setTimeout(resolve, 700));
    current = await relayStatus(current.id);
  }
}
