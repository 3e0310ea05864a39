import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const VALID = `deployment:
  name: webapp
networks:
  backend: {}
containers:
  webapp:
    image: registry.example.com/apps/webapp:1.0@${DIGEST}
    networks: [backend]
    envFiles: [config/app.env]
`;

const workspace = scratch();
afterAll(() => workspace.cleanup());

describe('stow validate', () => {
  it('accepts the example deployment and an example daemon.yaml', async () => {
    const result = await runCli(
      ['validate', 'examples/deploy-host.example.com', 'examples/daemon.yaml'],
      repoRoot(),
    );
    expect(result).toEqual({
      code: 0,
      stdout:
        'examples/deploy-host.example.com/stow.yaml: valid stow.yaml\nexamples/daemon.yaml: valid daemon.yaml\n',
      stderr:
        'examples/daemon.yaml: warning: no triggerToken: anyone who can reach 127.0.0.1:17403 can trigger reconciles; set triggerToken (see docs/security.md)\n',
    });
  });

  it('warns (exit 0) about a daemon.yaml without triggerToken, in text and JSON, and not with one', async () => {
    const open = 'gitRepository: /srv/repo.git\nsubfolder: host\nlisten: "[::]:8443"\n';
    await workspace.write('open/daemon.yaml', open);
    await workspace.write('closed/daemon.yaml', `${open}triggerToken: a-long-enough-trigger-token\n`);
    const warning =
      'no triggerToken: anyone who can reach [::]:8443 can trigger reconciles; set triggerToken (see docs/security.md)';
    expect(await runCli(['validate', 'open/daemon.yaml'], workspace.dir)).toEqual({
      code: 0,
      stdout: 'open/daemon.yaml: valid daemon.yaml\n',
      stderr: `open/daemon.yaml: warning: ${warning}\n`,
    });
    const json = await runCli(
      ['validate', '--json', 'open/daemon.yaml', 'closed/daemon.yaml'],
      workspace.dir,
    );
    expect(json.code).toBe(0);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).warnings),
    ).toEqual([[warning], []]);
    expect(await runCli(['validate', 'closed/daemon.yaml'], workspace.dir)).toMatchObject({
      code: 0,
      stderr: '',
    });
  });

  // One malformed file each; the expected output is the exact single line an operator sees.
  const malformed: Array<[string, string, string]> = [
    [
      'bad YAML',
      'deployment: [\n',
      'stow.yaml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'wrong type',
      VALID.replace('name: webapp', 'name: 7'),
      'stow.yaml:2:9: deployment.name: must be a string, got number 7',
    ],
    [
      'unknown key',
      VALID.replace('envFiles', 'envFile'),
      'stow.yaml:9:5: containers.webapp.envFile: unknown key (did you mean envFiles?)',
    ],
    [
      'unpinned image',
      VALID.replace(`@${DIGEST}`, ''),
      `stow.yaml:7:12: containers.webapp.image: "registry.example.com/apps/webapp:1.0" must be pinned by digest (name[:tag]@sha256:<64 hex>); set deployment.allowUnpinnedImages: true to allow tags`,
    ],
    [
      '../ path',
      VALID.replace('config/app.env', '../app.env'),
      'stow.yaml:9:16: containers.webapp.envFiles[0]: "../app.env" must stay inside the deployment folder (no ..)',
    ],
    [
      'absolute path',
      VALID.replace('config/app.env', '/etc/app.env'),
      'stow.yaml:9:16: containers.webapp.envFiles[0]: "/etc/app.env" must be relative to the deployment folder, not absolute',
    ],
    [
      'duplicate container names',
      `${VALID}  webapp:\n    image: x\n`,
      'stow.yaml:10:3: duplicate key "webapp": a key may appear only once in a map',
    ],
    [
      'missing env file',
      VALID.replace('config/app.env', 'config/missing.env'),
      'stow.yaml:9:16: containers.webapp.envFiles[0]: "config/missing.env" does not exist in the deployment folder',
    ],
    [
      'undeclared network',
      VALID.replace('[backend]', '[front]'),
      'stow.yaml:8:16: containers.webapp.networks[0]: network "front" is not declared under networks:',
    ],
    [
      'bad digest length',
      VALID.replace(DIGEST, 'sha256:1234'),
      'stow.yaml:7:12: containers.webapp.image: "registry.example.com/apps/webapp:1.0@sha256:1234" is not an image reference (name[:tag]@sha256:<64 hex>)',
    ],
    ['missing containers', 'deployment:\n  name: webapp\n', 'stow.yaml:1:1: containers: is required'],
    [
      'bad deployment name',
      VALID.replace('name: webapp', 'name: WebApp'),
      'stow.yaml:2:9: deployment.name: must match [a-z0-9][a-z0-9_.-]*',
    ],
    [
      'reserved label',
      `${VALID}    labels: { stow.deployment: other }\n`,
      'stow.yaml:10:15: containers.webapp.labels["stow.deployment"]: invalid name: the stow. label prefix is reserved for stow',
    ],
    [
      'bad port',
      `${VALID}    ports: ["localhost:80"]\n`,
      'stow.yaml:10:13: containers.webapp.ports[0]: must look like [hostIp:][hostPort:]containerPort[/tcp|udp|sctp], e.g. 127.0.0.1:8080:8080/tcp',
    ],
    [
      'bad restart policy',
      `${VALID}    restart: sometimes\n`,
      'stow.yaml:10:14: containers.webapp.restart: must be one of no, always, unless-stopped, on-failure, on-failure:<max retries>',
    ],
    [
      'bad healthcheck interval',
      `${VALID}    healthcheck: { test: [CMD, "true"], interval: 5 }\n`,
      'stow.yaml:10:51: containers.webapp.healthcheck.interval: must be a string, got number 5',
    ],
    [
      'list instead of mapping',
      'deployment: { name: x }\ncontainers: [webapp]\n',
      'stow.yaml:2:13: containers: must be a mapping, got a list',
    ],
    [
      'neither kind',
      'hello: world\n',
      'stow.yaml: is neither a stow.yaml (deployment:, containers:) nor a daemon.yaml (subfolder:, gitlabBase: or gitRepository:)',
    ],
    [
      'daemon.yaml with both sources',
      'subfolder: host\ngitRepository: /srv/repo.git\ngitlabBase: https://git.example.com/api/v4\n',
      'stow.yaml:3:13: gitlabBase: cannot be combined with gitRepository: choose one source',
    ],
  ];
  it.each(malformed)('rejects %s with one clear line and exit 2', async (_name, text, line) => {
    const dir = `case-${Math.random().toString(36).slice(2)}`;
    await workspace.write(`${dir}/config/app.env`, 'A=1\n');
    await workspace.write(`${dir}/stow.yaml`, text);
    const result = await runCli(['validate', 'stow.yaml'], `${workspace.dir}/${dir}`);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('prints a JSON report with --json', async () => {
    await workspace.write('json/stow.yaml', VALID.replace('name: webapp', 'name: 7'));
    await workspace.write('json/config/app.env', '');
    const result = await runCli(['validate', '--json', 'json/stow.yaml'], workspace.dir);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      file: 'json/stow.yaml',
      kind: 'stow.yaml',
      valid: false,
      issues: [
        {
          file: 'json/stow.yaml',
          line: 2,
          column: 9,
          keyPath: 'deployment.name',
          message: 'must be a string, got number 7',
        },
      ],
      warnings: [],
    });
  });

  it('names a file it cannot read', async () => {
    const result = await runCli(['validate', 'nowhere.yaml'], workspace.dir);
    expect(result).toMatchObject({ code: 2, stderr: 'nowhere.yaml: cannot read file (ENOENT)\n' });
  });

  it('wants at least one PATH', async () => {
    const result = await runCli(['validate'], workspace.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("stow validate: missing PATH\nRun 'stow validate --help' for usage.\n");
  });
});

function repoRoot(): string {
  return new URL('../../../../', import.meta.url).pathname;
}
