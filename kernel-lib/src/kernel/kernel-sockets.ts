/**
 * The kernel's ZeroMQ sockets: ROUTER for shell, control and stdin, PUB for
 * IOPub (no high-water mark, so no output is ever dropped), and the heartbeat
 * REP socket in a worker thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as zmq from 'zeromq';
import { channelAddress, type ConnectionInfo } from './connection-file';
import type { KernelLog } from './kernel-log';
import { loadZeromq, tslabRequire } from './tslab-modules';

/** The bound sockets. */
export interface KernelSockets {
  shell: zmq.Router;
  control: zmq.Router;
  stdin: zmq.Router;
  iopub: zmq.Publisher;
  /** Stops the heartbeat and closes every socket (pending sends get `lingerMs`). */
  close(lingerMs?: number): Promise<void>;
}

/**
 * Binds all five channels of a connection file.
 *
 * @example
 * const sockets = await bindKernelSockets(info, log);
 * receiveEach(sockets.shell, (frames) => onShell(frames), log);
 */
export async function bindKernelSockets(info: ConnectionInfo, log: KernelLog): Promise<KernelSockets> {
  const zeromq = loadZeromq();
  const shell = new zeromq.Router();
  const control = new zeromq.Router();
  const stdin = new zeromq.Router();
  const iopub = new zeromq.Publisher();
  iopub.sendHighWaterMark = 0;
  for (const socket of [shell, control, stdin]) socket.sendHighWaterMark = 0;
  await Promise.all([
    shell.bind(channelAddress(info, 'shell')),
    control.bind(channelAddress(info, 'control')),
    stdin.bind(channelAddress(info, 'stdin')),
    iopub.bind(channelAddress(info, 'iopub')),
  ]);
  const heartbeat = await startHeartbeat(channelAddress(info, 'hb'), zeromq, log);
  return {
    shell,
    control,
    stdin,
    iopub,
    async close(lingerMs = 1000) {
      await heartbeat.close();
      for (const socket of [shell, control, stdin, iopub]) {
        socket.linger = lingerMs;
        socket.close();
      }
    },
  };
}

/**
 * Calls `onFrames` for each message received on a socket, without waiting for
 * it to finish (so a long execute does not block comm messages behind it).
 *
 * @example
 * receiveEach(sockets.control, (frames) => onControl(frames), log);
 */
export function receiveEach(socket: zmq.Router, onFrames: (frames: Buffer[]) => void, log: KernelLog): void {
  void (async () => {
    try {
      for await (const frames of socket) {
        try {
          onFrames(frames);
        } catch (error) {
          log.error('message handler threw', error);
        }
      }
    } catch (error) {
      if (!socket.closed) log.error('receive loop stopped', error);
    }
  })();
}

interface Heartbeat {
  close(): Promise<void>;
}

/** Runs the heartbeat in a worker thread; in the main thread if no worker can start. */
async function startHeartbeat(address: string, zeromq: typeof zmq, log: KernelLog): Promise<Heartbeat> {
  const workerFile = join(__dirname, 'heartbeat-worker.js');
  if (existsSync(workerFile)) {
    try {
      return await startHeartbeatWorker(workerFile, address);
    } catch (error) {
      log.error('heartbeat worker failed; answering heartbeats on the main thread', error);
    }
  }
  const socket = new zeromq.Reply();
  await socket.bind(address);
  void (async () => {
    try {
      for await (const frames of socket) await socket.send(frames);
    } catch (error) {
      if (!socket.closed) log.error('heartbeat stopped', error);
    }
  })();
  return { close: async () => socket.close() };
}

function startHeartbeatWorker(workerFile: string, address: string): Promise<Heartbeat> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, {
      workerData: { address, zeromqPath: tslabRequire().resolve('zeromq') },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const onMessage = (message: { bound?: boolean; error?: string }) => {
      if (message.bound) {
        resolve({
          // Let the worker close its socket and end by itself: terminating a
          // thread inside a zeromq call aborts the whole process.
          close: () =>
            new Promise<void>((done) => {
              const timer = setTimeout(() => void worker.terminate().then(() => done()), 1000);
              worker.once('exit', () => {
                clearTimeout(timer);
                done();
              });
              worker.postMessage({ close: true });
            }),
        });
      } else if (message.error) reject(new Error(message.error));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}
