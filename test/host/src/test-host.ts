import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { TestHostError } from './errors.js';

/** Names of the test images built by ci/setup-test-host (keys of images.json `images`). */
export const TEST_IMAGE_NAMES = [
  'busybox',
  'http-ok',
  'http-ok-2',
  'health-fail',
  'crash',
  'dies-later',
] as const;
export type TestImageName = (typeof TEST_IMAGE_NAMES)[number];

export interface TestImage {
  /** `127.0.0.1:5000/stow-test/<name>:<tag>` */
  ref: string;
  /** Registry manifest digest, `sha256:<64 hex>`. */
  digest: string;
  /** `<ref>@<digest>`: what stow.yaml pins and what tests pull. */
  pinned: string;
}

/** The content of images.json as written by ci/setup-test-host. */
export interface TestImagesFile {
  registry: string;
  /** The healthcheck test the images are made for (`Config.Healthcheck.Test`). */
  healthcheck: string[];
  images: Record<TestImageName, TestImage>;
}

export interface TestHost extends TestImagesFile {
  docker: Dockerode;
  /** Where images.json was read from. */
  imagesJson: string;
}

export const DEFAULT_IMAGES_JSON = '/var/lib/stow-test/images.json';
const SETUP_SCRIPT = fileURLToPath(new URL('../../../ci/setup-test-host', import.meta.url));
const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Finds the Docker test host for end-to-end tests: reads images.json (`STOW_TEST_IMAGES_JSON`, else
 * /var/lib/stow-test/images.json) and checks that the engine and the registry answer. When the file
 * is missing or something does not answer, runs ci/setup-test-host once (it is idempotent) and reads
 * the file again.
 */
export async function loadTestHost(): Promise<TestHost> {
  const imagesJson = process.env.STOW_TEST_IMAGES_JSON || DEFAULT_IMAGES_JSON;
  const docker = new Dockerode({ socketPath: DOCKER_SOCKET });
  const ready = await readImagesFile(imagesJson).catch(() => undefined);
  if (ready && (await hostAnswers(docker, ready.registry))) return { ...ready, docker, imagesJson };

  await runSetup();
  const file = await readImagesFile(imagesJson);
  if (!(await hostAnswers(docker, file.registry))) {
    throw new TestHostError(
      'HOST_UNREACHABLE',
      `Docker (${DOCKER_SOCKET}) or the registry (${file.registry}) does not answer after ci/setup-test-host`,
      DOCKER_SOCKET,
    );
  }
  return { ...file, docker, imagesJson };
}

async function runSetup(): Promise<void> {
  try {
    await promisify(execFile)(SETUP_SCRIPT, [], { timeout: 600_000, maxBuffer: 10 * 1024 * 1024 });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim() ?? '';
    throw new TestHostError(
      'SETUP_FAILED',
      `${SETUP_SCRIPT} failed (it must run as root): ${stderr.split('\n').slice(-5).join(' | ')}`,
      SETUP_SCRIPT,
      { cause },
    );
  }
}

async function hostAnswers(docker: Dockerode, registry: string): Promise<boolean> {
  try {
    await docker.ping();
    const res = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(5000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Reads and checks images.json; throws TestHostError BAD_IMAGES_JSON naming the file and field. */
export async function readImagesFile(path: string): Promise<TestImagesFile> {
  const bad = (what: string, cause?: unknown) =>
    new TestHostError('BAD_IMAGES_JSON', `${path}: ${what}`, path, { cause });
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw bad('cannot read it as JSON', cause);
  }
  const file = data as Partial<TestImagesFile> | null;
  if (typeof file?.registry !== 'string') throw bad('"registry" is not a string');
  if (!Array.isArray(file.healthcheck) || !file.healthcheck.every((s) => typeof s === 'string')) {
    throw bad('"healthcheck" is not a list of strings');
  }
  for (const name of TEST_IMAGE_NAMES) {
    const image = file.images?.[name];
    if (!image || typeof image.ref !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(image.digest ?? '')) {
      throw bad(`images.${name} is missing or has no ref and sha256 digest`);
    }
    if (image.pinned !== `${image.ref}@${image.digest}`) throw bad(`images.${name}.pinned is not ref@digest`);
  }
  return file as TestImagesFile;
}

/**
 * Pulls an image (by digest: `repo@sha256:...`) and resolves when it is in the local store. Pull errors
 * can arrive inside a 200 stream, so every progress object is checked for `error`.
 */
export async function pullImage(docker: Dockerode, ref: string): Promise<void> {
  const fail = (message: string, cause?: unknown) =>
    new TestHostError('PULL_FAILED', `pull ${ref}: ${message}`, ref, { cause });
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(ref);
  } catch (cause) {
    throw fail((cause as Error).message, cause);
  }
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) =>
      err ? reject(fail(err.message, err)) : resolve(output),
    );
  });
  const error = events.find((e) => e.error)?.error;
  if (error) throw fail(error);
}
