/**
 * The heartbeat channel, run in a worker thread: it echoes pings even while a
 * cell keeps the main thread busy (as ipykernel's heartbeat thread does).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as zmq from 'zeromq';

/** What the kernel passes to the worker. */
export interface HeartbeatWorkerData {
  address: string;
  zeromqPath: string;
}

async function echoForever(data: HeartbeatWorkerData): Promise<void> {
  const { Reply } = require(data.zeromqPath) as typeof zmq;
  const socket = new Reply();
  socket.linger = 0;
  await socket.bind(data.address);
  parentPort?.postMessage({ bound: true });
  parentPort?.on('message', (message: unknown) => {
    if ((message as { close?: boolean } | null)?.close) {
      socket.close();
      parentPort?.close();
    }
  });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch (error) {
    if (!socket.closed) throw error;
  }
}

if (parentPort && workerData) {
  echoForever(workerData as HeartbeatWorkerData).catch((error: unknown) => {
    parentPort?.postMessage({ error: String((error as Error)?.stack ?? error) });
  });
}
