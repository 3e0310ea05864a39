import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue, ManifestError } from './errors.js';
import { parseStowManifest, readStowManifest } from './stow-manifest.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const VALID = `deployment:
  name: webapp
networks:
  backend: {}
containers:
  webapp:
    image: registry.example.com/apps/webapp:1.0@${DIGEST}
    networks: [backend]
    ports: ["127.0.0.1:8080:8080/tcp"]
`;

function issuesOf(text: string) {
  try {
    parseStowManifest(text, 'stow.yaml');
  } catch (error) {
    if (error instanceof ManifestError) return error.issues;
    throw error;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('parseStowManifest', () => {
  it('accepts a valid manifest and applies defaults', () => {
    const manifest = parseStowManifest(VALID, 'stow.yaml');
    expect(manifest.deployment).toEqual({
      name: 'webapp',
      verify: { stableSeconds: 20, timeoutSeconds: 60 },
      allowUnpinnedImages: false,
    });
    expect(manifest.containers.webapp?.networks).toEqual(['backend']);
    const named = parseStowManifest(
      VALID.replace('  name: webapp\n', '  name: webapp\n  environment: hosts/web 1\n'),
      'stow.yaml',
    );
    expect(named.deployment.environment).toBe('hosts/web 1');
  });

  it('accepts every documented container field', () => {
    const manifest = parseStowManifest(
      `deployment: { name: full, allowUnpinnedImages: true, verify: { stableSeconds: 1, timeoutSeconds: 5 } }
networks: { backend: {}, front: { internal: true } }
containers:
  app:
    image: 127.0.0.1:5000/stow-test/http-ok:1
    command: ["httpd", "-f"]
    entrypoint: ["/bin/sh", "-c"]
    env: { A: "1", B: 2, C: true }
    envFiles: [config/app.env]
    ports: ["8080", "9090:90/udp", "127.0.0.1::80", "[::1]:8443:443/tcp"]
    mounts:
      - { source: config/app.conf, target: /etc/app.conf, readOnly: true }
      - { volume: data, target: /data }
      - { hostPath: /var/log/app, target: /logs }
    networks: [backend, front]
    restart: on-failure:3
    healthcheck: { test: "wget -q -O /dev/null http://127.0.0.1/", interval: 1s, timeout: 500ms, retries: 2, startPeriod: 1m30s }
    user: "1000:1000"
    workingDir: /srv
    hostname: app
    labels: { com.example.team: platform }
    capAdd: [NET_ADMIN]
    capDrop: [ALL]
    readOnly: true
    tmpfs: [/run, "/tmp:size=64m"]
    memory: 512m
    cpus: 0.5
    extraHosts: ["db.internal:10.0.0.5"]
    logging: { driver: json-file, options: { max-size: 10m } }
    stopTimeout: 10
    init: true
    stopSignal: SIGQUIT
`,
      'stow.yaml',
    );
    expect(manifest.containers.app?.mounts).toHaveLength(3);
  });

  // Each malformed manifest names the key path and the line where it goes wrong.
  const cases: Array<[string, string, number, string, RegExp]> = [
    ['bad YAML', 'deployment:\n  name: [unclosed\n', 3, '', /YAML syntax error/],
    ['duplicate container', `${VALID}  webapp:\n    image: x\n`, 10, '', /duplicate key "webapp"/],
    ['tab indentation', 'deployment:\n\tname: x\n', 2, '', /YAML syntax error/],
    [
      'wrong type',
      VALID.replace('name: webapp', 'name: 42'),
      2,
      'deployment.name',
      /must be a string, got number 42/,
    ],
    [
      'bad environment',
      VALID.replace('  name: webapp\n', '  name: webapp\n  environment: /prod\n'),
      3,
      'deployment.environment',
      /GitLab environment name/,
    ],
    [
      'missing name',
      VALID.replace('  name: webapp\n', '  daemonBaseUrl: https://h:17403/\n'),
      2,
      'deployment.name',
      /is required/,
    ],
    [
      'unknown key',
      VALID.replace('    networks: [backend]', '    netwroks: [backend]'),
      8,
      'containers.webapp.netwroks',
      /unknown key \(did you mean networks\?\)/,
    ],
    ['unknown top-level key', `${VALID}volumes: {}\n`, 10, 'volumes', /unknown key/],
    [
      'unpinned image',
      VALID.replace(`@${DIGEST}`, ''),
      7,
      'containers.webapp.image',
      /must be pinned by digest/,
    ],
    [
      'short digest',
      VALID.replace(DIGEST, 'sha256:abc'),
      7,
      'containers.webapp.image',
      /is not an image reference/,
    ],
    [
      'undeclared network',
      VALID.replace('[backend]', '[frontend]'),
      8,
      'containers.webapp.networks[0]',
      /not declared/,
    ],
    [
      'bad port',
      VALID.replace('127.0.0.1:8080:8080/tcp', '8080:http'),
      9,
      'containers.webapp.ports[0]',
      /hostPort/,
    ],
    [
      'bad deployment name',
      VALID.replace('name: webapp', 'name: Web App'),
      2,
      'deployment.name',
      /must match/,
    ],
    ['bad container name', VALID.replace('  webapp:', '  "-web":'), 6, 'containers["-web"]', /invalid name/],
    [
      'reserved label',
      `${VALID}    labels: { stow.hash: x }\n`,
      10,
      'containers.webapp.labels["stow.hash"]',
      /reserved/,
    ],
    [
      'command as string',
      `${VALID}    command: ./server --port 8080\n`,
      10,
      'containers.webapp.command',
      /list of strings/,
    ],
    [
      'bad duration',
      `${VALID}    healthcheck: { test: [CMD, x], interval: 5 }\n`,
      10,
      'containers.webapp.healthcheck.interval',
      /must be a string/,
    ],
    [
      'bad duration unit',
      `${VALID}    healthcheck: { test: [CMD, x], interval: 5 sec }\n`,
      10,
      'containers.webapp.healthcheck.interval',
      /duration/,
    ],
    ['bad restart', `${VALID}    restart: sometimes\n`, 10, 'containers.webapp.restart', /unless-stopped/],
    [
      'stable longer than timeout',
      VALID.replace('name: webapp', 'name: webapp\n  verify: { stableSeconds: 90, timeoutSeconds: 60 }'),
      3,
      'deployment.verify',
      /must not exceed/,
    ],
    [
      'mount with two kinds',
      `${VALID}    mounts: [{ source: a, volume: b, target: /x }]\n`,
      10,
      'containers.webapp.mounts[0]',
      /exactly one/,
    ],
    [
      'relative mount target',
      `${VALID}    mounts: [{ volume: b, target: data }]\n`,
      10,
      'containers.webapp.mounts[0].target',
      /absolute/,
    ],
    [
      'containers as list',
      'deployment: { name: x }\ncontainers:\n  - webapp\n',
      3,
      'containers',
      /must be a mapping, got a list/,
    ],
    [
      'host port clash',
      VALID.replace(
        'containers:',
        `containers:\n  other:\n    image: a/b@${DIGEST}\n    ports: ["127.0.0.1:8080:80"]`,
      ),
      12,
      'containers.webapp.ports[0]',
      /already published by container other/,
    ],
  ];
  it.each(cases)('rejects %s', (_name, text, line, keyPath, message) => {
    const issues = issuesOf(text);
    const issue = issues.find((candidate) => candidate.keyPath === keyPath) ?? issues[0];
    expect(issue).toMatchObject({ file: 'stow.yaml', line, keyPath });
    expect(issue?.message).toMatch(message);
  });

  it('reads jobs with their defaults, and dependsOn', () => {
    const manifest = parseStowManifest(
      `${VALID}    dependsOn: [db]\n  db:\n    image: a/db@${DIGEST}\njobs:\n  migrate:\n    image: a/m@${DIGEST}\n    command: [migrate]\n  smoke:\n    image: a/s@${DIGEST}\n    when: afterVerify\n    timeoutSeconds: 30\n`,
      'stow.yaml',
    );
    expect(manifest.containers.webapp?.dependsOn).toEqual(['db']);
    expect(manifest.jobs.migrate).toMatchObject({ when: 'beforeApply', timeoutSeconds: 300 });
    expect(manifest.jobs.smoke).toMatchObject({ when: 'afterVerify', timeoutSeconds: 30 });
    expect(Object.keys(manifest.jobs)).toEqual(['migrate', 'smoke']);
    expect(parseStowManifest(VALID, 'stow.yaml').jobs).toEqual({});
  });

  const JOB = `jobs:\n  migrate:\n    image: a/m@${DIGEST}\n`;
  const DB = `  db:\n    image: a/db@${DIGEST}\n`;
  it.each<[string, string, string, RegExp]>([
    [
      'unknown dependsOn',
      `${VALID}    dependsOn: [cache]\n`,
      'containers.webapp.dependsOn[0]',
      /"cache" is not a container/,
    ],
    ['dependsOn itself', `${VALID}    dependsOn: [webapp]\n`, 'containers.webapp.dependsOn[0]', /itself/],
    [
      'dependsOn a job',
      `${VALID}    dependsOn: [migrate]\n${JOB}`,
      'containers.webapp.dependsOn[0]',
      /is a job/,
    ],
    [
      'dependsOn cycle',
      `${VALID}    dependsOn: [db]\n${DB}    dependsOn: [webapp]\n`,
      'containers.webapp.dependsOn',
      /cycle: webapp -> db -> webapp/,
    ],
    [
      'job named like a container',
      `${VALID}jobs:\n  webapp:\n    image: a/m@${DIGEST}\n`,
      'jobs.webapp',
      /name of a container/,
    ],
    [
      'container named like a job container',
      `${VALID}  webapp.job.migrate:\n    image: a/x@${DIGEST}\n${JOB}`,
      'containers["webapp.job.migrate"]',
      /the name job migrate runs under/,
    ],
    [
      'job with ports',
      `${JOB}    ports: ["8080"]\n`,
      'jobs.migrate.ports',
      /runs once and exits: it publishes no ports/,
    ],
    ['job with restart', `${JOB}    restart: always\n`, 'jobs.migrate.restart', /never restarted/],
    [
      'job with healthcheck',
      `${JOB}    healthcheck: { test: [CMD, x] }\n`,
      'jobs.migrate.healthcheck',
      /exit code/,
    ],
    ['job with dependsOn', `${JOB}    dependsOn: [webapp]\n`, 'jobs.migrate.dependsOn', /file order/],
    [
      'job with a bad when',
      `${JOB}    when: afterApply\n`,
      'jobs.migrate.when',
      /beforeApply or afterVerify/,
    ],
    [
      'job with a zero timeout',
      `${JOB}    timeoutSeconds: 0\n`,
      'jobs.migrate.timeoutSeconds',
      /too small|>0/,
    ],
    ['unpinned job image', `jobs:\n  migrate:\n    image: a/m:1\n`, 'jobs.migrate.image', /pinned by digest/],
    [
      'job on an undeclared network',
      `${JOB}    networks: [nope]\n`,
      'jobs.migrate.networks[0]',
      /not declared/,
    ],
  ])('rejects %s, naming the key path', (_name, tail, keyPath, message) => {
    const text = tail.startsWith('jobs:') ? `${VALID}${tail}` : tail;
    const issue = issuesOf(text).find((candidate) => candidate.keyPath === keyPath);
    expect(issue, JSON.stringify(issuesOf(text))).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it.each([
    ['../secrets.env', /no \.\./],
    ['/etc/passwd', /not absolute/],
    ['config/../../x', /no \.\./],
    ['./config/app.env', /normalised path like config\/app.env/],
    ['config\\app.env', /must use \/ as separator/],
  ])('confines envFile %s to the deployment folder', (envFile, message) => {
    const [issue] = issuesOf(`${VALID}    envFiles: [${JSON.stringify(envFile)}]\n`);
    expect(issue?.keyPath).toBe('containers.webapp.envFiles[0]');
    expect(issue?.message).toMatch(message);
  });

  it('reports every issue of a file at once, in line order', () => {
    const issues = issuesOf(
      VALID.replace('name: webapp', 'name: 1').replace(`@${DIGEST}`, '').replace('[backend]', '[x]'),
    );
    expect(issues.map((issue) => issue.line)).toEqual([2, 7, 8]);
    expect(formatIssue(issues[0] as (typeof issues)[0])).toBe(
      'stow.yaml:2:9: deployment.name: must be a string, got number 1',
    );
  });

  it('rejects an empty file and a multi-document file', () => {
    expect(issuesOf('')[0]?.message).toMatch(/is empty/);
    expect(issuesOf(`${VALID}---\n${VALID}`)[0]?.message).toMatch(/YAML syntax error/);
  });
});

describe('readStowManifest', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'stow-manifest-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('checks that referenced files exist, are regular and are not links', async () => {
    await fs.mkdir(path.join(root, 'config'), { recursive: true });
    await fs.writeFile(path.join(root, 'config/app.env'), 'A=1\n');
    await fs.symlink('/etc/hostname', path.join(root, 'config/link.conf'));
    await fs.writeFile(
      path.join(root, 'stow.yaml'),
      `${VALID}    envFiles: [config/app.env, config/missing.env, config]\n    mounts:\n      - { source: config/link.conf, target: /etc/x }\n`,
    );
    const error = await readStowManifest(path.join(root, 'stow.yaml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    const issues = (error as ManifestError).issues;
    expect(issues.map((i) => [i.keyPath, i.line])).toEqual([
      ['containers.webapp.envFiles[1]', 10],
      ['containers.webapp.envFiles[2]', 10],
      ['containers.webapp.mounts[0].source', 12],
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      '"config/missing.env" does not exist in the deployment folder',
      '"config" must be a regular file',
      '"config/link.conf" is a symlink; links are not allowed in a deployment folder',
    ]);
  });

  it('checks the files jobs reference too', async () => {
    await fs.writeFile(
      path.join(root, 'stow.yaml'),
      `${VALID}jobs:\n  migrate:\n    image: a/m@${DIGEST}\n    envFiles: [config/app.env, config/gone.env]\n`,
    );
    const error = await readStowManifest(path.join(root, 'stow.yaml')).catch((e: unknown) => e);
    expect((error as ManifestError).issues.map((i) => [i.keyPath, i.message])).toEqual([
      ['jobs.migrate.envFiles[1]', '"config/gone.env" does not exist in the deployment folder'],
    ]);
  });

  it('names an unreadable file', async () => {
    await expect(readStowManifest(path.join(root, 'nope/stow.yaml'))).rejects.toThrow(
      /nope\/stow.yaml: cannot read file \(ENOENT\)/,
    );
  });
});
