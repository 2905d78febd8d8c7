import { Code } from '@connectrpc/connect';
import type { DataRequestProto } from '@weft/proto';
import { Channel, Slots } from './channel.js';
import { type ClientError, type ErrorContext, TransportError, toClientError } from './errors.js';
import { backoffMs, isRetryable, type RetryPolicy, sleep } from './retry.js';
import type { CallOptions, ClientTransport, DuplexSession } from './transport.js';

/** @internal How the engine sends one post's requests. */
export interface EngineOptions {
  transport: ClientTransport;
  /** Use a duplex session (gRPC Call, WebSocket) rather than one unary call per request. */
  duplex: boolean;
  /** Most requests taken from the input and not yet handed to the consumer. */
  prefetch: number;
  resultsInOrder: boolean;
  retry: RetryPolicy;
  /** Aborted by the user's signal, `timeoutMs`, or the consumer leaving early. */
  signal: AbortSignal;
  /** The error to report once `signal` is aborted. */
  abortError: () => ClientError;
  headers: Readonly<Record<string, string>>;
  context: ErrorContext;
  /** Called when a request is handed to the transport the first time (progress). */
  onSent?: (req: DataRequestProto) => void;
}

const idOf = (r: DataRequestProto) => r.header?.requestId ?? '';

/**
 * Sends `requests` with at most `prefetch` in flight and yields responses as they arrive (or in
 * request order). A slow consumer holds its slots, so the sender pauses: memory stays bounded by
 * `prefetch` requests. Transport errors are retried per `retry`; a duplex session that fails is
 * reopened and every unanswered request is sent again.
 */
export async function* runRequests(
  requests: AsyncIterator<DataRequestProto>,
  o: EngineOptions,
): AsyncGenerator<DataRequestProto> {
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(o.signal.reason);
  if (o.signal.aborted) ac.abort(o.signal.reason);
  else o.signal.addEventListener('abort', onOuterAbort, { once: true });
  const signal = ac.signal;
  const out = new Channel<DataRequestProto>();
  const slots = new Slots(Math.max(1, o.prefetch));
  const order: string[] = [];
  const early = new Map<string, DataRequestProto>();
  let failed = false;

  const classify = (err: unknown): ClientError =>
    o.signal.aborted ? o.abortError() : toClientError(err, o.context);
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    out.fail(classify(err));
    ac.abort(err);
  };
  const deliver = (res: DataRequestProto) => {
    if (!o.resultsInOrder) return out.push(res);
    const id = idOf(res);
    if (!order.includes(id)) return out.push(res);
    early.set(id, res);
    while (order.length && early.has(order[0]!)) {
      const head = order.shift()!;
      out.push(early.get(head)!);
      early.delete(head);
    }
  };
  let pulling = false;
  const next = async (): Promise<DataRequestProto | undefined> => {
    await slots.acquire(signal);
    pulling = true;
    const r = await requests.next().finally(() => {
      pulling = false;
    });
    if (r.done) {
      slots.release();
      return undefined;
    }
    if (o.resultsInOrder) order.push(idOf(r.value));
    return r.value;
  };
  const call: CallOptions = { signal, headers: o.headers };

  const pump = o.duplex
    ? duplex(o, call, next, deliver, classify)
    : unary(o, call, next, deliver, classify, fail);
  pump.then(
    () => out.end(),
    (err) => fail(err),
  );
  try {
    for await (const res of out) {
      slots.release();
      yield res;
    }
  } finally {
    o.signal.removeEventListener('abort', onOuterAbort);
    if (!signal.aborted) ac.abort(new Error('the post ended'));
    // Let a user generator run its finally blocks (awaited unless it is busy producing an item);
    // ignore what it throws on the way out.
    const closing = requests.return?.(undefined)?.catch?.(() => {});
    if (!pulling) await closing;
  }
}

async function sendWithRetry(
  o: EngineOptions,
  call: CallOptions,
  req: DataRequestProto,
  classify: (err: unknown) => ClientError,
): Promise<DataRequestProto> {
  // A signal of its own per call: fetch and connect add a listener to the signal of every call,
  // and a hundred calls in flight on one shared signal would trip Node's listener-leak warning.
  const own: CallOptions = { ...call, signal: AbortSignal.any([call.signal]) };
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.transport.unary!(req, own);
    } catch (err) {
      const e = classify(err);
      if (call.signal.aborted || !isRetryable(e) || attempt >= o.retry.maxAttempts) throw e;
      await sleep(backoffMs(attempt, o.retry), call.signal);
    }
  }
}

async function unary(
  o: EngineOptions,
  call: CallOptions,
  next: () => Promise<DataRequestProto | undefined>,
  deliver: (res: DataRequestProto) => void,
  classify: (err: unknown) => ClientError,
  fail: (err: unknown) => void,
): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for (;;) {
    const req = await next();
    if (!req) break;
    o.onSent?.(req);
    const p: Promise<void> = sendWithRetry(o, call, req, classify).then(deliver, fail);
    inflight.add(p);
    p.then(() => inflight.delete(p));
  }
  await Promise.all(inflight);
}

async function duplex(
  o: EngineOptions,
  call: CallOptions,
  next: () => Promise<DataRequestProto | undefined>,
  deliver: (res: DataRequestProto) => void,
  classify: (err: unknown) => ClientError,
): Promise<void> {
  // Unanswered requests by id; the request itself is kept only when it may have to be re-sent.
  const keep = o.retry.maxAttempts > 1;
  const pending = new Map<string, DataRequestProto | undefined>();
  let inputDone = false;
  let sessionAc = new AbortController();
  const openSession = (): DuplexSession => {
    sessionAc = new AbortController();
    const s = o.transport.open!({
      signal: AbortSignal.any([call.signal, sessionAc.signal]),
      headers: call.headers,
    });
    return s;
  };
  let session = openSession();
  const sender = (async () => {
    for (;;) {
      const req = await next();
      if (!req) {
        inputDone = true;
        session.end();
        return;
      }
      pending.set(idOf(req), keep ? req : undefined);
      o.onSent?.(req);
      session.send(req);
    }
  })();
  let senderError: { err: unknown } | undefined;
  sender.catch((err) => {
    senderError = { err };
    sessionAc.abort(err);
  });
  for (let attempt = 1; ; ) {
    try {
      for await (const res of session.responses) {
        pending.delete(idOf(res));
        attempt = 1;
        deliver(res);
      }
      if (senderError) throw senderError.err;
      if (inputDone && pending.size === 0) return;
      throw new TransportError(
        `${o.context.address}: the gateway ended the stream with ${pending.size} request(s) unanswered`,
        Code.Unavailable,
      );
    } catch (err) {
      if (senderError) throw senderError.err;
      const e = classify(err);
      sessionAc.abort(e);
      if (call.signal.aborted || !isRetryable(e) || attempt >= o.retry.maxAttempts) throw e;
      await sleep(backoffMs(attempt, o.retry), call.signal);
      attempt++;
      session = openSession();
      for (const req of pending.values()) if (req) session.send(req);
      if (inputDone) session.end();
    }
  }
}
