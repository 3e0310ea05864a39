import Dockerode from 'dockerode';
import { SuggestImageError } from './errors.js';

/** The two Docker Engine calls digest resolution needs (injectable for tests). */
export interface DockerImages {
  /** `GET /images/{name}/json`: null when the image is not in the engine. */
  inspectImage(ref: string): Promise<{ Id: string; RepoDigests?: string[] | null } | null>;
  /** `GET /distribution/{name}/json`: the registry's manifest descriptor for the reference. */
  distribution(ref: string): Promise<{ Descriptor?: { digest?: string } }>;
}

/** Docker Hub names as the engine writes them in RepoDigests: `docker.io/library/x` -> `x`. */
export function normaliseRepository(repository: string): string {
  return repository.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
}

/**
 * The registry manifest digest of a local image, never its image ID (a config digest):
 * 1. the image must be in the engine (else IMAGE_NOT_FOUND);
 * 2. a `RepoDigests` entry of the same repository (set by push or pull) is the answer;
 * 3. else the registry's distribution endpoint (images pushed by another builder, e.g. buildx);
 *    when the registry does not know the reference either: NO_REGISTRY_DIGEST (never pushed).
 */
export async function resolveRegistryDigest(
  docker: DockerImages,
  image: string,
  repository: string,
): Promise<string> {
  let inspected: Awaited<ReturnType<DockerImages['inspectImage']>>;
  try {
    inspected = await docker.inspectImage(image);
  } catch (cause) {
    throw new SuggestImageError(
      'DOCKER_FAILED',
      `Docker engine: inspecting image ${image} failed: ${messageOf(cause)}`,
      {
        step: 'resolve digest',
        cause,
      },
    );
  }
  if (!inspected) {
    throw new SuggestImageError(
      'IMAGE_NOT_FOUND',
      `image ${image} is not in the local Docker engine; build or pull it first, or pass --digest (the registry manifest digest that docker push prints)`,
      { step: 'resolve digest' },
    );
  }
  const want = normaliseRepository(repository);
  for (const entry of inspected.RepoDigests ?? []) {
    const at = entry.lastIndexOf('@');
    if (
      at > 0 &&
      normaliseRepository(entry.slice(0, at)) === want &&
      /^sha256:[0-9a-f]{64}$/.test(entry.slice(at + 1))
    ) {
      return entry.slice(at + 1);
    }
  }
  let digest: string | undefined;
  try {
    digest = (await docker.distribution(image)).Descriptor?.digest;
  } catch (cause) {
    throw new SuggestImageError(
      'NO_REGISTRY_DIGEST',
      `image ${image} is in Docker but has no registry digest for ${repository} (was it pushed?); the registry said: ${messageOf(cause)}. Push it, or pass --digest`,
      { step: 'resolve digest', cause },
    );
  }
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new SuggestImageError(
      'NO_REGISTRY_DIGEST',
      `the registry gave no sha256 manifest digest for ${image}`,
      {
        step: 'resolve digest',
      },
    );
  }
  return digest;
}

/** DockerImages over dockerode: DOCKER_HOST when set, else /var/run/docker.sock. */
export function dockerImagesFromEnv(env: Readonly<Record<string, string | undefined>>): DockerImages {
  // docker-modem reads DOCKER_HOST itself when given no socket; 30 s bound on each call.
  const docker = env.DOCKER_HOST
    ? new Dockerode({ timeout: 30_000 })
    : new Dockerode({ socketPath: '/var/run/docker.sock', timeout: 30_000 });
  return {
    async inspectImage(ref) {
      try {
        const info = await docker.getImage(ref).inspect();
        return { Id: info.Id, RepoDigests: info.RepoDigests };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return null;
        throw error;
      }
    },
    async distribution(ref) {
      return (await docker.getImage(ref).distribution()) as { Descriptor?: { digest?: string } };
    },
  };
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } }).json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}
