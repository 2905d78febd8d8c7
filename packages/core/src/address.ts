import { ConfigError } from './errors.js';

/** A parsed `scheme://host:port` address. */
export interface Address {
  host: string;
  port: number;
  tls: boolean;
  scheme: 'grpc' | 'http' | 'ws';
}

const SCHEMES: Record<string, { scheme: Address['scheme']; tls: boolean }> = {
  grpc: { scheme: 'grpc', tls: false },
  grpcs: { scheme: 'grpc', tls: true },
  http: { scheme: 'http', tls: false },
  https: { scheme: 'http', tls: true },
  ws: { scheme: 'ws', tls: false },
  wss: { scheme: 'ws', tls: true },
};

/**
 * Parses `host:port`, `grpc://host:port`, `grpcs://…`, `http(s)://…` or `ws(s)://…`.
 * Without a scheme the address is plain gRPC.
 */
export function parseAddress(text: string): Address {
  const m = /^(?:([a-z]+):\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(text.trim());
  if (!m) {
    throw new ConfigError(
      `address '${text}' is not valid: expected host:port or scheme://host:port (grpc, grpcs, http, https, ws, wss)`,
    );
  }
  const schemeText = m[1] ?? 'grpc';
  const s = SCHEMES[schemeText];
  if (!s)
    throw new ConfigError(
      `address '${text}': unknown scheme '${schemeText}'; use grpc, grpcs, http, https, ws or wss`,
    );
  const port = Number(m[3]);
  if (port < 1 || port > 65535)
    throw new ConfigError(`address '${text}': port ${port} is out of range 1–65535`);
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port, ...s };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
