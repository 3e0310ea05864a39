// Loaded with `node --import` into a measured process: reports its peak RSS (KiB) on fd 3 at exit.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    writeSync(3, String(process.resourceUsage().maxRSS));
  } catch {
    // fd 3 is not open when run outside the benchmark harness: nothing to report to.
  }
});
