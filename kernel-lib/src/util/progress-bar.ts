/**
 * A terminal progress bar on stderr: redrawn in place on a TTY, one line
 * every ~10% otherwise (CI logs, notebooks), so long work always shows progress.
 *
 * @example
 * const bar = progressBar(100, 'train');
 * bar.update(10, 'loss 2.31');
 * bar.done();
 */
export interface ProgressBar {
  update(done: number, info?: string): void;
  done(info?: string): void;
}

export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr, enabled = true): ProgressBar {
  const start = Date.now();
  const tty = Boolean(stream.isTTY);
  let lastPrinted = -1;
  const render = (done: number, info: string): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ` +
      `${elapsed.toFixed(1)}s elapsed, ${eta.toFixed(1)}s left${info ? `  ${info}` : ''}`;
  };
  return {
    update(done: number, info = ''): void {
      if (!enabled) return;
      if (tty) {
        stream.write(`\r${render(done, info)}\x1b[K`);
      } else {
        const decile = Math.floor((done / Math.max(1, total)) * 10);
        if (decile !== lastPrinted) { lastPrinted = decile; stream.write(`${render(done, info)}\n`); }
      }
    },
    done(info = ''): void {
      if (!enabled) return;
      stream.write(tty ? `\r${render(total, info)}\x1b[K\n` : `${render(total, info)}\n`);
    },
  };
}
