/**
 * The Redis connections a queued sweep and its workers use: each one checked at once (an
 * unreachable server is one line naming the URL, within seconds, not ioredis' endless reconnect
 * loop), and a connection lost later is retried for a while, then reported the same way.
 *
 * BullMQ 6 no longer brings a Redis driver of its own; it takes any ioredis instance, which is
 * what we hand it (so we, not BullMQ, decide how reconnects behave).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { TclError } from '../errors.ts';

/** How long the first connection may take before the URL is reported unreachable (ms). */
const CONNECT_TIMEOUT_MS = 5000;
/** After a connection has worked: reconnect attempts (0.5 s, 1 s, … capped at 5 s; ≈ 1 min in all) before giving up. */
const RECONNECT_ATTEMPTS = 15;

/** Checks `redis://HOST:PORT[/DB]` (or `rediss://` for TLS) and returns it; anything else is a one-line error. */
export function parseRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TclError(`--queue expects redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TclError(`--queue expects redis://HOST:PORT, got '${url}'`);
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) throw new TclError(`--queue ${url}: the path must be a database number (redis://HOST:PORT/DB)`);
  return url;
}

/** The URL as shown to the user: without a password. */
export function showUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Opens the connections of one sweep process or one worker. `open()` connects a new client and
 * resolves once Redis answers (or rejects with a TclError naming the URL); `onLost` is called
 * once when a connection that had worked is gone for good.
 */
export class RedisConnections {
  private clients: Redis[] = [];
  private closing = false;
  private lostReported = false;
  constructor(
    readonly url: string,
    private readonly onLost: (e: TclError) => void = () => {},
  ) {
    parseRedisUrl(url);
  }

  async open(): Promise<Redis> {
    let ready = false;
    const opts: RedisOptions = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // BullMQ's workers block on Redis commands: it requires this to be null.
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      retryStrategy: (times) => (ready && times <= RECONNECT_ATTEMPTS && !this.closing ? Math.min(500 * times, 5000) : null),
    };
    const client = new Redis(this.url, opts);
    this.clients.push(client);
    // Errors are reported through connect() and onLost; without a listener ioredis prints each one.
    let lastError: Error | undefined;
    client.on('error', (e: Error) => (lastError = e));
    const lost = () => {
      if (ready && !this.closing && !this.lostReported) {
        this.lostReported = true;
        this.onLost(new TclError(`lost the connection to Redis at ${showUrl(this.url)} (no answer after ${RECONNECT_ATTEMPTS} reconnect attempts)`));
      }
    };
    client.on('end', lost);
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      const err = lastError ?? (e as Error);
      const why = (err as NodeJS.ErrnoException).code ?? err.message.split('\n')[0];
      throw new TclError(`cannot reach Redis at ${showUrl(this.url)} (${why})`);
    }
    ready = true;
    // BullMQ duplicates this client for its blocking connection: the copy must behave the same.
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override?: Partial<RedisOptions>) => {
      const d = duplicate(override);
      d.on('error', () => {});
      d.on('end', () => lost());
      this.clients.push(d);
      return d;
    };
    return client;
  }

  /** Closes every connection (quietly: no onLost). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.clients.map(async (c) => {
        if (c.status === 'end') return;
        try {
          await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000))]);
        } catch {
          /* already gone */
        }
        c.disconnect();
      }),
    );
    this.clients = [];
  }
}
