// The app's configuration, served by the API (GET /api/v1/app/config).
import type { Abi, Address } from "viem";

export interface AppContract {
  address: Address;
  abi: Abi;
}

export interface DemoAccount {
  address: Address;
  name: string;
  role: string;
  kind: string | null;
  private_key: `0x${string}`;
}

export interface AppConfig {
  chain_id: number;
  network: string;
  rpc_url: string;
  contracts: Record<string, AppContract>;
  token: { address: Address; symbol: string; decimals: number };
  relayer: boolean;
  explorer_tx_url: string | null;
  errors: Record<string, string>;
  demo_accounts: DemoAccount[] | null;
}

/** GET a path of the API (under /api/v1) as JSON; null on 404. */
export async function api<T>(path: string): Promise<T | null> {
  const response = await fetch(`/api/v1${path}`, { headers: { Accept: "application/json" } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`API ${response.status} ${path}`);
  return (await response.json()) as T;
}

export async function loadConfig(): Promise<AppConfig> {
  const config = await api<AppConfig>("/app/config");
  if (!config) throw new Error("no app configuration");
  return config;
}

/** The contract of `role`, or an error naming it. */
export function contract(config: AppConfig, role: string): AppContract {
  const found = config.contracts[role];
  if (!found) throw new Error(`the deployment has no ${role} contract`);
  return found;
}
