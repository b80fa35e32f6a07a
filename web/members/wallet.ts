// Wallets: every injected EIP-6963 wallet (MetaMask, Rabby, Frame…) found with mipd, the demo
// wallet on a local chain, and the session of the connected one (viem clients over it).
import { createStore, type EIP6963ProviderDetail, type Store } from "mipd";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  type Address,
  type Chain,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from "viem";
import type { AppConfig } from "./config";
import { DemoWallet, DEMO_RDNS } from "./demo_wallet";

export interface Session {
  address: Address;
  name: string;
  rdns: string;
  provider: EIP1193Provider;
  wallet: WalletClient;
}

export interface Chainside {
  config: AppConfig;
  chain: Chain;
  client: PublicClient;
  demo: DemoWallet | null;
  store: Store;
  session: Session | null;
}

const STORED = "cmir.app.wallet";
let state: Chainside | null = null;
const changeListeners = new Set<() => void>();

/** Called whenever the connected account changes. */
export function onSessionChange(listener: () => void): void {
  changeListeners.add(listener);
}

function changed(): void {
  for (const listener of changeListeners) listener();
}

export function chainside(): Chainside {
  if (!state) throw new Error("the app is not started");
  return state;
}

/** Start discovery: the demo wallet announces itself (local chain only), then mipd listens. */
export function startWallets(config: AppConfig): Chainside {
  const chain = defineChain({
    id: config.chain_id,
    name: config.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpc_url] } },
  });
  const client = createPublicClient({ chain, transport: http(config.rpc_url) }) as PublicClient;
  const demo = config.demo_accounts?.length ? new DemoWallet(config.demo_accounts, chain, config.rpc_url) : null;
  const store = createStore();
  demo?.announce();
  state = { config, chain, client, demo, store, session: null };
  return state;
}

/** The wallets found so far. */
export function wallets(): readonly EIP6963ProviderDetail[] {
  return chainside().store.getProviders();
}

/** Connect to a wallet: ask for its accounts, move it to our chain. */
export async function connect(detail: EIP6963ProviderDetail, demoAddress?: string): Promise<Session> {
  const side = chainside();
  if (detail.info.rdns === DEMO_RDNS && side.demo && demoAddress) side.demo.select(demoAddress);
  const provider = detail.provider as unknown as EIP1193Provider;
  const wallet = createWalletClient({ chain: side.chain, transport: custom(provider) });
  const [address] = await wallet.requestAddresses();
  if (!address) throw new Error("no account");
  const chainId = await wallet.getChainId();
  if (chainId !== side.chain.id) {
    try {
      await wallet.switchChain({ id: side.chain.id });
    } catch {
      await wallet.addChain({ chain: side.chain });
    }
  }
  const session: Session = { address, name: detail.info.name, rdns: detail.info.rdns, provider, wallet };
  provider.on?.("accountsChanged", (accounts: readonly string[]) => {
    const next = accounts[0];
    if (side.session === session && next) {
      session.address = next as Address;
      changed();
    } else if (side.session === session) {
      disconnect();
    }
  });
  side.session = session;
  try {
    localStorage.setItem(STORED, JSON.stringify({ rdns: detail.info.rdns, address }));
  } catch {
    /* not kept */
  }
  changed();
  return session;
}

export function disconnect(): void {
  chainside().session = null;
  try {
    localStorage.removeItem(STORED);
  } catch {
    /* nothing kept */
  }
  changed();
}

/** Reconnect to the wallet of the last visit, silently, when it is there (eth_accounts). */
export async function resume(): Promise<void> {
  let stored: { rdns: string; address: string } | null = null;
  try {
    stored = JSON.parse(localStorage.getItem(STORED) ?? "null") as { rdns: string; address: string } | null;
  } catch {
    stored = null;
  }
  if (!stored) return;
  await new Promise((resolve) => setTimeout(resolve, 50)); // let wallets announce themselves
  const detail = chainside().store.findProvider({ rdns: stored.rdns as `${string}.${string}` });
  if (!detail) return;
  const accounts = (await (detail.provider as unknown as EIP1193Provider).request({ method: "eth_accounts" })) as string[];
  if (stored.rdns !== DEMO_RDNS && !accounts.length) return;
  await connect(detail, stored.address);
}

/** The connected session, or null. */
export function session(): Session | null {
  return state?.session ?? null;
}
