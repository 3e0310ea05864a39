// Shared helpers of the benchmarks: timing child processes, peak RSS, medians and markdown tables.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPORT_RSS = fileURLToPath(new URL('./report-rss.mjs', import.meta.url));

/**
 * Runs a command to completion; returns wall-clock milliseconds and, for node processes started with
 * `--import REPORT_RSS`, the peak RSS in MiB that the child reported on fd 3.
 */
export function timeCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], ...options });
    let stderr = '';
    let rss = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdio[3]?.on('data', (chunk) => (rss += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, peakRssMiB: rss ? Number(rss) / 1024 : undefined });
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function machineDescription() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.map((cell) => String(cell).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `load average before: 0.8 1.3 4.4; after: 9.1 7.0 6.1` (a bench's first line of context). */
export function loadAverageLine(before) {
  const format = (loads) => loads.map((l) => l.toFixed(1)).join(' ');
  return `load average before: ${format(before)}; after: ${format(os.loadavg())}\n`;
}
