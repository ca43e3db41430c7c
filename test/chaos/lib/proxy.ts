/**
 * A TCP proxy the partition scenario puts between one worker and PostgreSQL, to cut that worker
 * off while everything else keeps its database:
 *
 * - `pass`: bytes flow both ways.
 * - `blackhole`: a partition that TCP survives. Nothing is read from either side (the bytes wait
 *   in the kernel's buffers, as unacknowledged segments would be retransmitted), new connections
 *   are accepted but not connected upstream; `restore` lets everything through again, late. The
 *   worker's queries hang meanwhile, as they would.
 * - `cut`: a partition long enough to break the connections: every open connection is reset (RST)
 *   and new ones are reset at once, until `restore`.
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'cut';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held back by a blackhole, per direction, in order. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  mode: ProxyMode = 'pass';
  port = 0;
  /** Connections accepted, and reset by `cut`. */
  readonly stats = { accepted: 0, reset: 0, heldBytes: 0 };

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'cut') {
      this.stats.reset++;
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    client.on('data', (d: Buffer) => {
      if (this.mode === 'pass' && pair.upstream && pair.toUpstream.length === 0) pair.upstream.write(d);
      else this.holdBytes(pair.toUpstream, d);
    });
    client.once('close', () => {
      this.pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (this.mode === 'pass') this.connect(pair);
  }

  /** Opens the pair's upstream connection (once) and sends what waited for it. */
  private connect(pair: Pair): void {
    if (pair.upstream || pair.client.destroyed) return;
    const upstream = net.connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.once('close', () => pair.client.destroy());
    upstream.on('data', (d: Buffer) => {
      if (this.mode === 'pass' && pair.toClient.length === 0) pair.client.write(d);
      else this.holdBytes(pair.toClient, d);
    });
    this.flush(pair);
  }

  private holdBytes(queue: Buffer[], d: Buffer): void {
    queue.push(d);
    this.stats.heldBytes += d.length;
  }

  private flush(pair: Pair): void {
    if (pair.upstream) for (const d of pair.toUpstream.splice(0)) pair.upstream.write(d);
    for (const d of pair.toClient.splice(0)) pair.client.write(d);
  }

  /** Stops all traffic, keeping the connections (see the module comment). */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** Resets every connection and refuses new ones. */
  cut(): void {
    this.mode = 'cut';
    for (const p of [...this.pairs]) {
      this.stats.reset++;
      p.client.resetAndDestroy();
      p.upstream?.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /** Lets traffic through again (what waited in a blackhole is delivered now, in order). */
  restore(): void {
    this.mode = 'pass';
    for (const p of this.pairs) {
      if (p.upstream) this.flush(p);
      else this.connect(p);
    }
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
