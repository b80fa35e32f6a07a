// The demo wallet (like scaffold-eth's burner wallet), for `make up` only: an EIP-1193 provider
// that signs as any of the demo's accounts (anvil's public test keys). The API hands out those
// keys only on a local dev chain with the setting on; on any other network this never exists.
// It is announced as an EIP-6963 provider like any browser wallet, so the app uses it the same way.
import {
  createWalletClient,
  http,
  type Chain,
  type EIP1193Provider,
  type Hex,
  type TypedDataDefinition,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DemoAccount } from "./config";

export const DEMO_RDNS = "org.cmir.demo";
const ICON =
  "data:image/svg+xml;base64," +
  btoa('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="5" fill="#12355b"/><text x="12" y="17" font-size="13" text-anchor="middle" fill="#fff" font-family="sans-serif">D</text></svg>');

type Listener = (...args: unknown[]) => void;

/** Integers of typed data read from JSON (strings) back to bigints, as viem hashes them. */
function revive(types: Record<string, { name: string; type: string }[]>, type: string, value: unknown): unknown {
  if (type.endsWith("]")) {
    const inner = type.slice(0, type.lastIndexOf("["));
    return (value as unknown[]).map((v) => revive(types, inner, v));
  }
  if (/^u?int\d*$/.test(type)) return BigInt(value as string | number);
  const fields = types[type];
  if (fields && value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f.name] = revive(types, f.type, (value as Record<string, unknown>)[f.name]);
    return out;
  }
  return value;
}

export class DemoWallet {
  private index = 0;
  private readonly listeners = new Map<string, Set<Listener>>();
  readonly provider: EIP1193Provider;

  constructor(
    readonly accounts: DemoAccount[],
    private readonly chain: Chain,
    private readonly rpcUrl: string,
  ) {
    this.provider = {
      request: (args: { method: string; params?: unknown }) => this.request(args.method, (args.params ?? []) as unknown[]),
      on: (event: string, listener: Listener) => {
        if (!this.listeners.has(event)) this.listeners.set(event, new Set());
        this.listeners.get(event)?.add(listener);
      },
      removeListener: (event: string, listener: Listener) => {
        this.listeners.get(event)?.delete(listener);
      },
    } as unknown as EIP1193Provider;
  }

  get current(): DemoAccount {
    const account = this.accounts[this.index] ?? this.accounts[0];
    if (!account) throw new Error("no demo account");
    return account;
  }

  /** Sign as another demo account from now on. */
  select(address: string): void {
    const found = this.accounts.findIndex((a) => a.address.toLowerCase() === address.toLowerCase());
    if (found < 0) return;
    this.index = found;
    for (const listener of this.listeners.get("accountsChanged") ?? []) listener([this.current.address]);
  }

  /** Announce this provider on the page (EIP-6963), as browser wallets do. */
  announce(): void {
    const detail = Object.freeze({
      info: { uuid: "6f3c5f08-8d8e-4c53-9d6b-0c1a2b3c4d5e", name: "Portefeuille de démonstration", icon: ICON, rdns: DEMO_RDNS },
      provider: this.provider,
    });
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  }

  private signer() {
    const account = privateKeyToAccount(this.current.private_key);
    return { account, client: createWalletClient({ account, chain: this.chain, transport: http(this.rpcUrl) }) };
  }

  private async request(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [this.current.address];
      case "eth_chainId":
        return `0x${this.chain.id.toString(16)}`;
      case "wallet_switchEthereumChain":
      case "wallet_addEthereumChain":
        return null;
      case "eth_signTypedData_v4": {
        const raw = params[1];
        const data = (typeof raw === "string" ? JSON.parse(raw) : raw) as {
          types: Record<string, { name: string; type: string }[]>;
          primaryType: string;
          domain: Record<string, unknown>;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _domainType, ...types } = data.types;
        const domain = { ...data.domain } as Record<string, unknown>;
        if (domain["chainId"] !== undefined) domain["chainId"] = BigInt(domain["chainId"] as string);
        const message = revive(types, data.primaryType, data.message) as Record<string, unknown>;
        const { account } = this.signer();
        return account.signTypedData({ domain, types, primaryType: data.primaryType, message } as unknown as TypedDataDefinition);
      }
      case "personal_sign": {
        const { account } = this.signer();
        return account.signMessage({ message: { raw: params[0] as Hex } });
      }
      case "eth_sendTransaction": {
        const tx = params[0] as { to: Hex; data?: Hex; value?: Hex; gas?: Hex };
        const { client } = this.signer();
        return client.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : 0n,
          ...(tx.gas ? { gas: BigInt(tx.gas) } : {}),
        });
      }
      default: {
        const response = await fetch(this.rpcUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        });
        const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
        if (body.error) throw Object.assign(new Error(body.error.message), body.error);
        return body.result;
      }
    }
  }
}
