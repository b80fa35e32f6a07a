// The relayer's HTTP interface, in one module (cmir/api/routers/relay.py): the API checks and
// stores a member's signed request, its sender sends it and pays the gas. POST /api/v1/relay/forward
// ({request: ForwardRequest, signature}), POST /api/v1/relay/vote (an ExtendedBallot's fields and
// its signature), GET /api/v1/relay/requests/{id} (accepted, sent, confirmed, failed, expired),
// GET /api/v1/relay (enabled or not).
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
  id: number;
  status: string;
  tx_hash: Hex | null;
  error: string | null;
  explanation: string | null;
}

/** A refusal of the relayer (4xx, `detail`; for a simulated revert the custom error's name and
 * the CLI's sentence) or a request that failed on chain. */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly error: string | null = null,
    readonly explanation: string | null = null,
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
    throw new RelayError(detail, response.status, answer.error ?? null, answer.explanation ?? null);
  }
  return answer as RelayStatus;
}

/** Whether the API relays now (GET /api/v1/relay: enabled). */
export async function relayEnabled(): Promise<boolean> {
  try {
    const response = await fetch("/api/v1/relay", { headers: { Accept: "application/json" } });
    if (!response.ok) return false;
    return Boolean(((await response.json()) as { enabled?: boolean }).enabled);
  } catch {
    return false;
  }
}

export function relayForward(request: SignedForwardRequest): Promise<RelayStatus> {
  return post("forward", {
    request: {
      from: request.from,
      to: request.to,
      value: request.value.toString(),
      gas: request.gas.toString(),
      nonce: request.nonce.toString(),
      deadline: request.deadline,
      data: request.data,
    },
    signature: request.signature,
  });
}

export function relayVote(ballot: SignedBallot): Promise<RelayStatus> {
  return post("vote", {
    proposal_id: ballot.proposalId.toString(),
    support: ballot.support,
    voter: ballot.voter,
    reason: ballot.reason,
    signature: ballot.signature,
  });
}

export async function relayStatus(id: number): Promise<RelayStatus> {
  const response = await fetch(`/api/v1/relay/requests/${id}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new RelayError(`status ${response.status}`, response.status);
  return (await response.json()) as RelayStatus;
}

const DONE = new Set(["confirmed"]);
const FAILED = new Set(["failed", "expired"]);

/** Poll a request until it is mined (its transaction hash) or failed (a RelayError). */
export async function waitRelayed(first: RelayStatus, onStatus: (status: RelayStatus) => void, timeoutMs = 120_000): Promise<Hex> {
  let current = first;
  const started = Date.now();
  for (;;) {
    onStatus(current);
    if (DONE.has(current.status) && current.tx_hash) return current.tx_hash;
    if (FAILED.has(current.status)) throw new RelayError(current.explanation ?? current.status, 200, current.error, current.explanation);
    if (Date.now() - started > timeoutMs) throw new RelayError("timeout", 0);
    await new Promise((resolve) => setTimeout(resolve, 700));
    current = await relayStatus(current.id);
  }
}

export interface RelayBudget {
  requests_used: number;
  requests_allowed: number;
  resets_at: string;
}

/** What is left of the member's relayed requests today (GET /api/v1/relay/budget/{address}). */
export async function relayBudget(address: Address): Promise<RelayBudget | null> {
  try {
    const response = await fetch(`/api/v1/relay/budget/${address}`, { headers: { Accept: "application/json" } });
    return response.ok ? ((await response.json()) as RelayBudget) : null;
  } catch {
    return null;
  }
}
