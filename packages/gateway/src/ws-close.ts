// The WebSocket door's close codes, apart from the door itself so that importing them loads no server.

/** WebSocket close codes used by the door. */
export const WS_CLOSE = {
  normal: 1000,
  /** A frame that is not a valid request (bad JSON, wrong shape, garbage protobuf). */
  invalidPayload: 1007,
  /** A frame larger than bodyLimit. */
  tooBig: 1009,
  /** A transport error towards a deployment (UNAVAILABLE, DEADLINE_EXCEEDED) or an internal error. */
  internal: 1011,
  /** Nothing in flight and no frame for limits.idleTimeoutMs, or the gateway is closing. */
  goingAway: 1001,
  /** Missing or invalid credentials (auth). */
  policyViolation: 1008,
  /** The gateway has limits.maxInFlight requests in flight, or limits.maxWebSocketConnections open: reconnect later. */
  tryAgainLater: 1013,
} as const;
