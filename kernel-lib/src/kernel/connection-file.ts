/**
 * The connection file Jupyter writes for each kernel start: ports, transport,
 * IP address and the HMAC key.
 */
import { readFileSync } from 'node:fs';

/** The fields of a connection file this kernel uses. */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

/** The five channels a kernel binds. */
export type ChannelName = 'shell' | 'iopub' | 'stdin' | 'control' | 'hb';

const PORT_FIELDS = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;

/**
 * Reads and validates a connection file; returns a message naming the file
 * and the field when it is unusable.
 *
 * @example
 * const info = readConnectionFile(process.argv[2]);
 * if (typeof info === 'string') { console.error(info); process.exit(2); }
 */
export function readConnectionFile(path: string): ConnectionInfo | string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `cannot read connection file ${path}: ${(error as Error).message}`;
  }
  if (typeof raw !== 'object' || raw === null) return `connection file ${path} is not a JSON object`;
  const fields = raw as Record<string, unknown>;
  const transport = fields.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') {
    return `connection file ${path}: transport must be "tcp" or "ipc", got ${JSON.stringify(transport)}`;
  }
  for (const field of PORT_FIELDS) {
    const port = fields[field];
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0) {
      return `connection file ${path}: ${field} must be a positive integer, got ${JSON.stringify(port)}`;
    }
  }
  if (typeof fields.ip !== 'string' || fields.ip === '') return `connection file ${path}: ip must be a non-empty string`;
  if (fields.key !== undefined && typeof fields.key !== 'string') return `connection file ${path}: key must be a string`;
  return {
    transport,
    ip: fields.ip,
    shell_port: fields.shell_port as number,
    iopub_port: fields.iopub_port as number,
    stdin_port: fields.stdin_port as number,
    control_port: fields.control_port as number,
    hb_port: fields.hb_port as number,
    key: (fields.key as string | undefined) ?? '',
    signature_scheme: typeof fields.signature_scheme === 'string' ? fields.signature_scheme : 'hmac-sha256',
  };
}

/**
 * The ZeroMQ address of one channel (`tcp://ip:port`, or `ipc://ip-port` as Jupyter names IPC files).
 *
 * @example
 * channelAddress(info, 'shell'); // 'tcp://127.0.0.1:53794'
 */
export function channelAddress(info: ConnectionInfo, channel: ChannelName): string {
  const port = info[`${channel}_port`];
  return info.transport === 'tcp' ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
