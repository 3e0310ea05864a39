/**
 * What a GitLab webhook asks of the daemon. GitLab names the event in `X-Gitlab-Event` ("Push Hook",
 * "Tag Push Hook", "Merge Request Hook", "Pipeline Hook", ...) and sends the secret token in
 * `X-Gitlab-Token` (https://docs.gitlab.com/user/project/integrations/webhook_events/). Only a push
 * to the default branch changes what the host should run; everything else is acknowledged and
 * ignored, never refused: GitLab disables a hook after repeated failures, 4xx included, and asks
 * receivers to answer quickly (https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks).
 */
export type HookVerdict =
  | { readonly kind: 'reconcile'; readonly ref: string; readonly sha: string | undefined }
  | { readonly kind: 'ignored'; readonly why: string };

/** `after` of a push that deleted the branch. */
const DELETED = /^0{40}$/;
const BRANCH_REF = 'refs/heads/';

type Json = Record<string, unknown>;
const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json)[key] : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, 256) : undefined;

export function classifyHook(event: string, body: unknown): HookVerdict {
  const name = event.trim().slice(0, 64);
  if (name !== 'Push Hook') {
    if (name === 'Tag Push Hook')
      return { kind: 'ignored', why: 'tag push: only a push to the default branch is deployed' };
    if (name === 'Merge Request Hook')
      return {
        kind: 'ignored',
        why: 'merge request event: the merge itself arrives as a push to the default branch',
      };
    if (name === 'Pipeline Hook')
      return { kind: 'ignored', why: 'pipeline event: only a push to the default branch is deployed' };
    return {
      kind: 'ignored',
      why: `${JSON.stringify(name)} event: only a push to the default branch is deployed`,
    };
  }
  const ref = text(field(body, 'ref'));
  const after = text(field(body, 'after'));
  if (ref === undefined) return { kind: 'ignored', why: 'push event without a ref' };
  if (after !== undefined && DELETED.test(after)) return { kind: 'ignored', why: `branch deletion: ${ref}` };
  if (!ref.startsWith(BRANCH_REF)) return { kind: 'ignored', why: `push to ${ref}, not to a branch` };
  const defaultBranch = text(field(field(body, 'project'), 'default_branch'));
  // Without the project's default branch in the payload the reconcile reads it itself: a push to
  // another branch then costs one reconcile that finds nothing to change.
  if (defaultBranch !== undefined && ref !== `${BRANCH_REF}${defaultBranch}`) {
    return {
      kind: 'ignored',
      why: `push to ${ref.slice(BRANCH_REF.length)}, not to the default branch ${defaultBranch}`,
    };
  }
  return { kind: 'reconcile', ref, sha: text(field(body, 'checkout_sha')) ?? after };
}
