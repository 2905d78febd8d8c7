import { createServer, type Server, type Socket, connect } from 'node:net';

/** How a {@link FaultProxy} treats connections. */
export interface FaultSettings {
  /** Delay added to every chunk, each direction, in ms. @default 0 */
  latencyMs?: number;
  /**
   * `pass` forwards; `blackhole` accepts connections and forwards nothing; `reset` destroys every
   * new connection at once (a TCP RST). @default 'pass'
   */
  mode?: 'pass' | 'blackhole' | 'reset';
  /** Share (0–1) of new connections destroyed at once, chosen at random. @default 0 */
  dropShare?: number;
}

/** Counts of what the proxy did. */
export interface FaultStats {
  /** Connections accepted and forwarded (or swallowed in blackhole mode). */
  accepted: number;
  /** Connections destroyed at once because of `dropShare`. */
  dropped: number;
  /** Connections destroyed at once because of `mode: 'reset'`. */
  reset: number;
  /** Bytes received from clients. */
  bytesUp: number;
  /** Bytes received from the target. */
  bytesDown: number;
}

/**
 * A TCP proxy on 127.0.0.1 that injects faults between a client and `target`: latency, resets,
 * a blackhole, or dropping a share of connections. Settings change at run time with `set()`.
 */
export class FaultProxy {
  readonly #target: { host: string; port: number };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #settings: Required<FaultSettings> = { latencyMs: 0, mode: 'pass', dropShare: 0 };
  readonly stats: FaultStats = { accepted: 0, dropped: 0, reset: 0, bytesUp: 0, bytesDown: 0 };
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((s) => this.#accept(s));
  }

  /**
   * Starts a proxy in front of `target` (host defaults to 127.0.0.1) on `port` (0 picks a free
   * one) with the given fault settings.
   */
  static async start(
    target: { host?: string; port: number },
    port = 0,
    settings: FaultSettings = {},
  ): Promise<FaultProxy> {
    const p = new FaultProxy({ host: target.host ?? '127.0.0.1', port: target.port });
    p.set(settings);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject);
      p.#server.listen(port, '127.0.0.1', () => resolve());
    });
    p.#port = (p.#server.address() as { port: number }).port;
    return p;
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#port;
  }

  /** Changes the fault settings for new data and connections. */
  set(settings: FaultSettings): void {
    this.#settings = { ...this.#settings, ...settings };
  }

  /** Destroys every open connection (both sides). */
  resetAll(): void {
    for (const s of this.#sockets) s.resetAndDestroy();
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.on('close', () => this.#sockets.delete(s));
    s.on('error', () => {});
  }

  #accept(client: Socket): void {
    this.#track(client);
    const { mode, dropShare } = this.#settings;
    if (mode === 'reset') {
      this.stats.reset++;
      client.resetAndDestroy();
      return;
    }
    if (dropShare > 0 && Math.random() < dropShare) {
      this.stats.dropped++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    if (mode === 'blackhole') {
      client.on('data', () => {});
      return;
    }
    const upstream = connect(this.#target.port, this.#target.host);
    this.#track(upstream);
    const pipe = (from: Socket, to: Socket, counter: 'bytesUp' | 'bytesDown') => {
      from.on('data', (chunk: Buffer) => {
        this.stats[counter] += chunk.length;
        if (this.#settings.mode === 'blackhole') return;
        const delay = this.#settings.latencyMs;
        if (delay > 0) {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, delay);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
      from.on('close', () => to.destroy());
    };
    pipe(client, upstream, 'bytesUp');
    pipe(upstream, client, 'bytesDown');
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
