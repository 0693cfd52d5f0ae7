/**
 * Jupyter's wire format: ZeroMQ frames `[identities..., '<IDS|MSG>', signature,
 * header, parent_header, metadata, content, buffers...]`, signed with HMAC
 * over the four JSON parts (buffers are not signed).
 */
import { createHmac, getHashes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The frame separating routing identities from the message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** The messaging-protocol version this kernel speaks. */
export const PROTOCOL_VERSION = '5.3';

/** A message header. */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

/** A decoded (or to-be-encoded) Jupyter message. */
export interface JupyterMessage<Content = Record<string, unknown>> {
  /** ZeroMQ routing identities (ROUTER sockets) or the topic (PUB socket). */
  identities: Buffer[];
  header: MessageHeader;
  /** The header of the request this message answers, or `{}`. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Content;
  buffers: Buffer[];
}

/** Computes the signature of the four JSON parts of a message. */
export type Signer = (parts: readonly Buffer[]) => string;

/** Result of decoding frames: a message, or why the frames were rejected. */
export type DecodeResult = { ok: true; message: JupyterMessage } | { ok: false; reason: string };

/**
 * Creates the signer for a connection file's `key` and `signature_scheme`.
 * An empty key disables signing, as Jupyter does.
 *
 * @example
 * const sign = createSigner('secret', 'hmac-sha256');
 * if (typeof sign === 'string') throw new Error(sign); // an unsupported scheme
 */
export function createSigner(key: string, scheme = 'hmac-sha256'): Signer | string {
  if (key === '') return () => '';
  const match = /^hmac-([a-z0-9-]+)$/i.exec(scheme);
  const algorithm = match?.[1]?.toLowerCase();
  if (!algorithm || !getHashes().includes(algorithm)) {
    return `unsupported signature_scheme ${JSON.stringify(scheme)}: expected "hmac-<hash>", e.g. "hmac-sha256"`;
  }
  return (parts) => {
    const hmac = createHmac(algorithm, key);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  };
}

/**
 * Decodes the frames received on a ROUTER socket and checks the signature.
 *
 * @example
 * const decoded = decodeMessage(frames, sign);
 * if (!decoded.ok) log(decoded.reason);
 */
export function decodeMessage(frames: readonly Buffer[], sign: Signer): DecodeResult {
  const delimiterAt = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (delimiterAt < 0) return { ok: false, reason: 'message has no <IDS|MSG> delimiter frame' };
  if (frames.length < delimiterAt + 6) {
    return { ok: false, reason: `message has ${frames.length - delimiterAt - 1} frames after the delimiter, expected at least 5` };
  }
  const signature = frames[delimiterAt + 1].toString('ascii');
  const parts = frames.slice(delimiterAt + 2, delimiterAt + 6);
  const expected = sign(parts);
  if (!signaturesMatch(signature, expected)) return { ok: false, reason: 'message signature does not match the connection key' };
  try {
    const [header, parent, metadata, content] = parts.map((part) => JSON.parse(part.toString('utf8')) as unknown);
    if (!isObject(header) || typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
      return { ok: false, reason: 'message header has no msg_type or msg_id' };
    }
    return {
      ok: true,
      message: {
        identities: frames.slice(0, delimiterAt),
        header: header as MessageHeader,
        parent_header: isObject(parent) ? (parent as Partial<MessageHeader>) : {},
        metadata: isObject(metadata) ? metadata : {},
        content: isObject(content) ? content : {},
        buffers: frames.slice(delimiterAt + 6),
      },
    };
  } catch (error) {
    return { ok: false, reason: `message part is not JSON: ${(error as Error).message}` };
  }
}

/**
 * Encodes and signs a message into frames.
 *
 * @example
 * await socket.send(encodeMessage(reply, sign));
 */
export function encodeMessage(message: JupyterMessage<unknown>, sign: Signer): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part), 'utf8'),
  );
  return [...message.identities, DELIMITER, Buffer.from(sign(parts), 'ascii'), ...parts, ...message.buffers];
}

/**
 * Creates a fresh header.
 *
 * @example
 * createHeader('status', kernelSession, 'kernel');
 */
export function createHeader(msgType: string, session: string, username: string): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

function signaturesMatch(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'ascii');
  const b = Buffer.from(expected, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
