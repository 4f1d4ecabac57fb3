/**
 * A loopback TCP proxy in front of a database server, for outage tests: `pause()`
 * freezes every connection (bytes are held, nothing is answered, like a hung server
 * or a dead network path), `refuse()` drops every connection and refuses new ones (a
 * server that went down), `resume()` lets everything flow again.
 */
import type { Socket, TCPSocketListener } from "bun";

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Hold all traffic in both directions; connections stay open and silent. */
  pause(): void;
  /** Drop every open connection and refuse new ones, until resume(). */
  refuse(): void;
  /** Let held and new traffic through again, and accept connections again. */
  resume(): void;
  stop(): void;
}

interface Pair {
  client: Socket<Link>;
  upstream: Socket<Link> | null;
  /** Bytes from the client waiting for the upstream connection or for resume(). */
  toUpstream: Uint8Array[];
  toClient: Uint8Array[];
}

interface Link {
  pair: Pair;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let paused = false;
  let refusing = false;
  const pairs = new Set<Pair>();

  const flush = (pair: Pair) => {
    if (paused) return;
    if (pair.upstream) for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  };

  const listener: TCPSocketListener<Link> = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        // Closed at once, before any byte: what a client of a server that is down sees.
        if (refusing) {
          client.terminate();
          return;
        }
        const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
        client.data = { pair };
        pairs.add(pair);
        void Bun.connect<Link>({
          hostname: target.host,
          port: target.port,
          data: { pair },
          socket: {
            open(upstream) {
              pair.upstream = upstream;
              flush(pair);
            },
            data(_upstream, chunk) {
              pair.toClient.push(new Uint8Array(chunk));
              flush(pair);
            },
            close() {
              pairs.delete(pair);
              pair.client.end();
            },
            error() {
              pair.client.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        const pair = client.data?.pair;
        if (!pair) return;
        pair.toUpstream.push(new Uint8Array(chunk));
        flush(pair);
      },
      close(client) {
        const pair = client.data?.pair;
        if (!pair) return;
        pairs.delete(pair);
        pair.upstream?.end();
      },
      error() {},
    },
  });

  return {
    port: listener.port,
    pause: () => {
      paused = true;
    },
    refuse: () => {
      refusing = true;
      for (const pair of pairs) {
        pair.client.terminate();
        pair.upstream?.terminate();
      }
      pairs.clear();
    },
    resume: () => {
      paused = false;
      refusing = false;
      for (const pair of pairs) flush(pair);
    },
    stop: () => {
      for (const pair of pairs) {
        pair.client.end();
        pair.upstream?.end();
      }
      listener.stop(true);
    },
  };
}
