import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@weft/core';

/** Which door a request came through. */
export type AccessDoor = 'grpc' | 'http' | 'websocket' | 'monitoring';

/**
 * Bearer-token authentication at the gateway's doors: `Authorization: Bearer <token>` on gRPC
 * and HTTP, and also `?access_token=<token>` on the WebSocket door (browsers cannot set headers
 * there). A refused request gets UNAUTHENTICATED / HTTP 401 / WebSocket close 1008 before any work.
 */
export interface GatewayAuth {
  /** Tokens that let a request in. @default [] */
  tokens?: readonly string[];
  /** Decides on a token not in `tokens` (e.g. checks a JWT); true lets the request in. @default none */
  verify?: (
    token: string,
    info: { door: AccessDoor; remoteAddress: string | undefined },
  ) => boolean | Promise<boolean>;
  /** Leave health checks (HTTP `GET /`, gRPC `grpc.health.v1.Health`) and `GET /metrics` open without a token. @default true */
  publicHealth?: boolean;
}

/** Checks credentials for the doors; `undefined` when authentication is off. */
export interface AccessCheck {
  readonly publicHealth: boolean;
  /**
   * Resolves with why the request is refused, or undefined when it may pass. `socket` is the
   * connection's TLS socket: under mutual TLS its client certificate must have been verified.
   */
  refuse(
    authorization: string | undefined,
    door: AccessDoor,
    remoteAddress: string | undefined,
    socket?: unknown,
  ): Promise<string | undefined>;
}

const CERT_ERRORS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "it is not signed by the gateway's CA",
  UNABLE_TO_GET_ISSUER_CERT: "it is not signed by the gateway's CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "it is not signed by the gateway's CA",
  SELF_SIGNED_CERT_IN_CHAIN: "it is not signed by the gateway's CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed, not signed by the gateway's CA",
  CERT_REVOKED: 'the certificate is revoked',
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Validates {@link GatewayAuth} and returns its checker; with `mutualTls`, also requires a verified
 * client certificate. Undefined when neither is on.
 */
export function createAccessCheck(auth: GatewayAuth | undefined, mutualTls = false): AccessCheck | undefined {
  if (!auth && !mutualTls) return undefined;
  const tokens = (auth?.tokens ?? []).map((t) => {
    if (typeof t !== 'string' || t.length === 0)
      throw new ConfigError('auth.tokens: every token must be a non-empty string');
    return digest(t);
  });
  if (auth && tokens.length === 0 && !auth.verify)
    throw new ConfigError(
      'auth: give tokens or a verify hook (or leave auth out to turn authentication off)',
    );
  const verify = auth?.verify;
  return {
    publicHealth: auth?.publicHealth ?? true,
    async refuse(authorization, door, remoteAddress, socket) {
      if (mutualTls) {
        const tlsSocket = socket as
          | { authorized?: boolean; authorizationError?: Error | string; getPeerCertificate?(): object }
          | undefined;
        if (!tlsSocket?.authorized) {
          const sent = Object.keys(tlsSocket?.getPeerCertificate?.() ?? {}).length > 0;
          const code = String(tlsSocket?.authorizationError ?? '');
          const why = !sent
            ? 'none was sent'
            : `${CERT_ERRORS[code] ?? 'it did not verify'} (${code || 'unknown error'})`;
          return `client certificate refused: ${why}; present one signed by the gateway's CA`;
        }
      }
      if (!auth) return undefined;
      if (!authorization) return 'missing credentials: send the header "Authorization: Bearer <token>"';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) return 'malformed credentials: the Authorization header must be "Bearer <token>"';
      const token = m[1]!;
      const d = digest(token);
      // Compare digests in constant time so that response times do not leak token prefixes.
      if (tokens.some((t) => timingSafeEqual(t, d))) return undefined;
      if (verify) {
        try {
          if (await verify(token, { door, remoteAddress })) return undefined;
        } catch {
          return 'the token could not be verified';
        }
      }
      return 'the token is not valid for this gateway';
    },
  };
}

/** Certificate, key and (for mutual TLS) the CA that client certificates must be signed by. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** Node TLS server options for {@link ServerTls}: with a CA, client certificates are required and verified. */
export function serverTlsOptions(tls: ServerTls, handshakeTimeoutMs: number) {
  return {
    cert: tls.cert,
    key: tls.key,
    handshakeTimeout: handshakeTimeoutMs,
    // Node would drop a connection with a bad client certificate without a word; the doors refuse
    // it instead with UNAUTHENTICATED / 401 / close 1008 naming the certificate error.
    ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}),
  };
}
