/**
 * The device memory figure of a telemetry sample, labelled for what it is:
 *
 * - on the `tensorflow` backend with an NVIDIA GPU: `nvidia-smi`'s used and
 *   total memory of the GPU, and what this process holds on it;
 * - on `wasm`: the wasm heap (CPU memory; it grows and never shrinks, so it is
 *   the high-water mark);
 * - otherwise (`cpu`, or `tensorflow` without a GPU): the process's resident
 *   memory (CPU memory) out of the machine's.
 *
 * `nvidia-smi` runs asynchronously at most every `minIntervalMs`; a sample
 * uses the latest answer, so probing never blocks a training step.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import type { DeviceInfo, DeviceMemory } from './schema';

/** One GPU as `nvidia-smi` reports it. */
export interface NvidiaSmiGpu {
  index: number;
  name: string;
  usedBytes: number;
  totalBytes: number;
}

const MIB = 1024 * 1024;

/**
 * Parses `nvidia-smi --query-gpu=index,name,memory.used,memory.total --format=csv,noheader,nounits`.
 *
 * @example
 * parseNvidiaSmiGpus('0, NVIDIA H100 80GB HBM3, 1234, 81559\n');
 * // [{ index: 0, name: 'NVIDIA H100 80GB HBM3', usedBytes: 1293942784, totalBytes: 85521956864 }]
 */
export function parseNvidiaSmiGpus(text: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 4) continue;
    const index = Number(fields[0]);
    const used = Number(fields[fields.length - 2]);
    const total = Number(fields[fields.length - 1]);
    const name = fields.slice(1, fields.length - 2).join(', ');
    if (!Number.isInteger(index) || !Number.isFinite(used) || !Number.isFinite(total)) continue;
    gpus.push({ index, name, usedBytes: used * MIB, totalBytes: total * MIB });
  }
  return gpus;
}

/**
 * Sums the memory `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`
 * reports for one process id (null when the process is not listed).
 *
 * @example
 * parseNvidiaSmiProcessBytes('4242, 512\n77, 100\n', 4242); // 536870912
 */
export function parseNvidiaSmiProcessBytes(text: string, pid: number): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const [p, used] = line.split(',').map((f) => f.trim());
    if (Number(p) === pid && Number.isFinite(Number(used))) total = (total ?? 0) + Number(used) * MIB;
  }
  return total;
}

/** Runs a command and resolves its stdout, or null when it is missing or fails. */
export type CommandRunner = (file: string, args: string[]) => Promise<string | null>;

const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? null : String(stdout)));
  });

/** Options of {@link DeviceMemoryProbe}. */
export interface DeviceMemoryProbeOptions {
  /** The TensorFlow.js backend in use (`tensorflow`, `wasm`, `cpu`). */
  backend: string;
  /** Minimum ms between `nvidia-smi` calls (default 2000). */
  minIntervalMs?: number;
  /** For tests: how commands are run. */
  run?: CommandRunner;
  /** For tests: the wasm heap size, when on wasm. */
  wasmHeapBytes?: () => number | null;
  /** For tests: the process id whose GPU memory is reported (default this process). */
  pid?: number;
}

/**
 * Device memory with an honest label (see the module comment).
 *
 * @example
 * const probe = new DeviceMemoryProbe({ backend: 'wasm' });
 * probe.sample(wasmHeapBytes); // { kind: 'wasm', label: 'wasm heap (CPU memory)', usedBytes: ..., source: 'wasm-heap', ... }
 */
export class DeviceMemoryProbe {
  private gpu: NvidiaSmiGpu | null = null;
  private processBytes: number | null = null;
  private lastQuery = -Infinity;
  private pending: Promise<void> | null = null;
  private smiMissing = false;
  private readonly run: CommandRunner;
  private readonly minIntervalMs: number;
  private readonly pid: number;

  constructor(private readonly options: DeviceMemoryProbeOptions) {
    this.run = options.run ?? runCommand;
    this.minIntervalMs = options.minIntervalMs ?? 2000;
    this.pid = options.pid ?? process.pid;
  }

  /** True when the run is on the `tensorflow` backend and a GPU answered. */
  get onGpu(): boolean {
    return this.gpu !== null;
  }

  /**
   * Asks `nvidia-smi` once (on the `tensorflow` backend only) so that the
   * first sample already knows whether there is a GPU.
   */
  async start(): Promise<void> {
    if (this.options.backend !== 'tensorflow') return;
    await this.query();
  }

  /** The device the run reports in its metadata. */
  deviceInfo(): DeviceInfo {
    if (this.gpu) return { kind: 'gpu', name: this.gpu.name, memoryLabel: `GPU ${this.gpu.index} memory` };
    if (this.options.backend === 'wasm') return { kind: 'wasm', name: 'wasm (CPU)', memoryLabel: 'wasm heap (CPU memory)' };
    return { kind: 'cpu', name: `CPU (${this.options.backend})`, memoryLabel: 'process RSS (CPU memory)' };
  }

  /** The device figure now (refreshing the GPU reading in the background when due). */
  sample(wasmHeapBytes: number | null = this.options.wasmHeapBytes?.() ?? null): DeviceMemory {
    if (this.options.backend === 'tensorflow' && !this.smiMissing && Date.now() - this.lastQuery >= this.minIntervalMs && !this.pending) {
      void this.query();
    }
    if (this.gpu) {
      return {
        kind: 'gpu',
        label: `GPU ${this.gpu.index} memory`,
        usedBytes: this.gpu.usedBytes,
        totalBytes: this.gpu.totalBytes,
        processBytes: this.processBytes,
        source: 'nvidia-smi',
      };
    }
    if (this.options.backend === 'wasm' && wasmHeapBytes !== null) {
      return { kind: 'wasm', label: 'wasm heap (CPU memory)', usedBytes: wasmHeapBytes, totalBytes: null, processBytes: null, source: 'wasm-heap' };
    }
    return {
      kind: 'cpu',
      label: 'process RSS (CPU memory)',
      usedBytes: process.memoryUsage().rss,
      totalBytes: os.totalmem(),
      processBytes: null,
      source: 'process-rss',
    };
  }

  private query(): Promise<void> {
    this.lastQuery = Date.now();
    this.pending = (async () => {
      const gpuText = await this.run('nvidia-smi', ['--query-gpu=index,name,memory.used,memory.total', '--format=csv,noheader,nounits']);
      if (gpuText === null) {
        this.smiMissing = this.gpu === null;
        return;
      }
      const gpus = parseNvidiaSmiGpus(gpuText);
      const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')[0]?.trim();
      const wanted = visible !== undefined && visible !== '' && /^\d+$/.test(visible) ? Number(visible) : null;
      this.gpu = gpus.find((g) => g.index === wanted) ?? gpus[0] ?? null;
      if (!this.gpu) return;
      const apps = await this.run('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
      this.processBytes = apps === null ? null : parseNvidiaSmiProcessBytes(apps, this.pid);
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }
}
