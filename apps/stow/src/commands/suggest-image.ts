import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';
import { privateCa } from '../private-ca.js';

export const suggestImageCommand: Command = {
  name: 'suggest-image',
  summary: 'open or update a merge request pinning a new image digest in the deployment repo',
  help: `Usage: stow suggest-image --project PATH --subfolder DIR --container NAME --image REPO[:TAG]
                          [--digest SHA256] [--assign LIST] [--changelog-file FILE]

Reads <subfolder>/stow.yaml from the default branch of the deployment project, pins the container's
image to <image>@sha256:<digest> (only that scalar changes; comments, order and quoting stay),
force-updates branch suggest/<subfolder>/<container> to one commit on the default branch head, and
creates or updates its merge request (source branch removed on merge). With deployment.daemonBaseUrl
in stow.yaml, the description carries the host's convergence badge for the suggest commit.

Options:
  --project PATH         deployment project, group/name or numeric id
  --subfolder DIR        deployment folder holding stow.yaml
  --container NAME       container to pin (a key of containers:)
  --image REPO[:TAG]     the new image, without a digest
  --digest SHA256        registry MANIFEST digest (what docker push prints), 64 hex, sha256: optional.
                         Not the image ID. Omitted: asked from the local Docker engine (RepoDigests,
                         else the registry through the engine)
  --assign LIST          comma-separated attempts, first active user who sticks wins:
                         gitlab_user_id (env GITLAB_USER_ID), id:<user id>, user:<username>.
                         GitLab silently drops an assignee who cannot read the deployment
                         project (not a member): the merge request is read back and the next
                         attempt tried; the output says which attempt stuck
  --changelog-file FILE  add the changelog lines between the old and the new tag
  -h, --help             show this help

Environment:
  CI_API_V4_URL          GitLab API URL (set by GitLab CI)
  GITLAB_ACCESS_TOKEN    token with the api scope and the Developer role on the deployment project:
                         a project/group access token (GitLab.com: Premium), or a personal access
                         token of a bot user (CI_JOB_TOKEN cannot commit or open merge requests
                         and is refused before any request)
  GITLAB_USER_ID         for --assign gitlab_user_id (set by GitLab CI)
  DOCKER_HOST            Docker engine for digest lookup (default /var/run/docker.sock)
  STOW_CACERT            PEM file of a private CA for GitLab

Idempotent: the default branch already pins this digest -> "already pinned", nothing touched;
the suggest branch already holds this change on the current head -> the branch stays (the badge
keeps its commit) and the merge request is refreshed only when its text or assignee differ; a rerun
with nothing to change writes nothing. When stow.yaml changed on the default branch between the read
and the commit (GitLab answers 400 "has changed since you started editing it"), it is read again and
the commit retried once.

Exit codes: 0 done or already pinned; 2 bad input, or GitLab/Docker failed (nothing half-made,
except a pushed branch whose merge request failed: rerunning finishes it).
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      project: { type: 'string' },
      subfolder: { type: 'string' },
      container: { type: 'string' },
      image: { type: 'string' },
      digest: { type: 'string' },
      assign: { type: 'string' },
      'changelog-file': { type: 'string' },
    });
    requirePositionals(positionals, []);
    for (const flag of ['project', 'subfolder', 'container', 'image'] as const) {
      if (!values[flag]) throw new UsageError(`missing --${flag}`);
    }
    const lib = await import('@stow/suggest-image');
    const auth = lib.gitlabAuthFromEnv(io.env);
    let changelog: { text: string; file: string } | undefined;
    const changelogFile = values['changelog-file'];
    if (changelogFile !== undefined) {
      try {
        changelog = {
          text: await readFile(path.resolve(io.cwd, changelogFile), 'utf8'),
          file: changelogFile,
        };
      } catch (error) {
        throw new UsageError(
          `--changelog-file ${changelogFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
    const ca = await privateCa(io);
    const { createGitlabClient } = await import('@stow/gitlab-client');
    let gitlab: ReturnType<typeof createGitlabClient>;
    try {
      gitlab = createGitlabClient({ apiUrl: auth.apiUrl, token: auth.token, ...(ca ? { ca } : {}) });
    } catch (error) {
      throw new UsageError(`CI_API_V4_URL: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      const result = await lib.suggestImage(
        {
          project: values.project as string,
          subfolder: values.subfolder as string,
          container: values.container as string,
          image: values.image as string,
          digest: values.digest,
          assign: values.assign,
          changelog,
          env: io.env,
        },
        { gitlab, docker: values.digest === undefined ? lib.dockerImagesFromEnv(io.env) : undefined },
      );
      if (result.kind === 'already-pinned') {
        io.stdout.write(
          `already pinned: ${result.defaultBranch} (${result.defaultSha.slice(0, 12)}) runs ${result.image}; nothing to do\n`,
        );
        return ExitCode.success;
      }
      const { commit, mergeRequest: mr, assignment } = result;
      io.stdout.write(`image:  ${result.oldImage}\n     -> ${result.newImage}\n`);
      io.stdout.write(
        `branch: ${result.branch} at ${commit.sha} (${commit.moved ? 'new commit on the default branch head' : 'unchanged: already this change on the default branch head'})\n`,
      );
      io.stdout.write(`merge request !${mr.iid} ${mr.action}: ${mr.webUrl}\n`);
      if (assignment.user && assignment.attempt) {
        io.stdout.write(
          `assignee: ${assignment.user.username} (${assignment.user.id}), --assign attempt ${assignment.attempt.index + 1} (${assignment.attempt.label}) stuck\n`,
        );
      }
      if (assignment.reasons.length > 0) {
        const head = assignment.user ? 'assignment attempts skipped' : 'nobody assigned';
        io.stdout.write(`${head}:\n${assignment.reasons.map((r) => `  ${r}\n`).join('')}`);
      }
      return ExitCode.success;
    } finally {
      await gitlab.close();
    }
  },
};
