import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface TemplateJob {
  readonly rules?: Array<{ if?: string }>;
  readonly script: string[];
  readonly before_script?: string[];
  readonly variables?: Record<string, string>;
  readonly image?: string;
}

/** Parses a GitLab CI YAML file (plain YAML: the templates use no custom tags). */
export function readPipeline(file: string): Record<string, unknown> {
  return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Evaluates the rule forms the templates use, comparisons joined by `&&`: `$A == $B` and
 * `$A == "text"`, as GitLab does: strings compared exactly, an unset variable is null.
 */
export function ruleMatches(rule: string, variables: Record<string, string | undefined>): boolean {
  return rule.split('&&').every((clause) => {
    const match = /^\s*\$(\w+)\s*==\s*(?:\$(\w+)|"([^"]*)")\s*$/.exec(clause);
    if (!match) throw new Error(`rule form not supported by this test: ${rule}`);
    const left = variables[match[1] ?? ''] ?? null;
    const right = match[2] === undefined ? (match[3] ?? null) : (variables[match[2]] ?? null);
    return left === right;
  });
}

/** Runs a job's before_script and script lines in one `sh -e`, like a GitLab runner with a shell. */
export function runJob(
  job: TemplateJob,
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number; stdout: string; stderr: string }> {
  const lines = [...(job.before_script ?? []), ...job.script];
  // Asynchronous on purpose: the daemons the job calls may live in this test process.
  const child = spawn('sh', ['-ec', lines.join('\n')], {
    cwd: options.cwd,
    env: { ...job.variables, ...options.env },
    timeout: 180_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}
