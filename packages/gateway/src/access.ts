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
  /** Resolves with why the request is refused, or undefined when it may pass. */
  refuse(
    authorization: string | undefined,
    door: AccessDoor,
    remoteAddress: string | undefined,
  ): Promise<string | undefined>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Validates {@link GatewayAuth} and returns its checker. */
export function createAccessCheck(auth: GatewayAuth | undefined): AccessCheck | undefined {
  if (!auth) return undefined;
  const tokens = (auth.tokens ?? []).map((t) => {
    if (typeof t !== 'string' || t.length === 0)
      throw new ConfigError('auth.tokens: every token must be a non-empty string');
    return digest(t);
  });
  if (tokens.length === 0 && !auth.verify)
    throw new ConfigError(
      'auth: give tokens or a verify hook (or leave auth out to turn authentication off)',
    );
  const verify = auth.verify;
  return {
    publicHealth: auth.publicHealth ?? true,
    async refuse(authorization, door, remoteAddress) {
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
