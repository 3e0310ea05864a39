import type { Route } from './route-types.js';
import { deploymentCreate, deploymentList, deploymentUpdate, environmentList } from './routes-deployments.js';
import {
  mergeRequestCreate,
  mergeRequestEdit,
  mergeRequestList,
  mergeRequestMerge,
  mergeRequestShow,
} from './routes-merge-requests.js';
import {
  archive,
  branchCreate,
  branchDelete,
  branchList,
  branchShow,
  commitCreate,
  commitRefs,
  commitShow,
  fileRaw,
  fileShow,
  projectShow,
} from './routes-repository.js';
import { statusCreate, statusList } from './routes-statuses.js';
import { tree } from './routes-tree.js';
import { userList, userShow } from './routes-users.js';

const P = ['projects', ':id'];
const R = [...P, 'repository'];
const ARCHIVE = { name: 'archive', re: /^archive(\.[a-z0-9.]+)?$/ };

/** Every endpoint the fake implements. `jobToken` mirrors GitLab's CI_JOB_TOKEN allow list. */
export const ROUTES: Route[] = [
  { method: 'GET', segments: P, access: 'read', jobToken: false, project: true, handler: projectShow },
  {
    method: 'GET',
    segments: [...R, ARCHIVE],
    access: 'read',
    jobToken: false,
    project: true,
    handler: archive,
  },
  {
    method: 'GET',
    segments: [...R, 'tree'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: tree,
  },
  {
    method: 'GET',
    segments: [...R, 'commits', ':sha'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: commitShow,
  },
  {
    method: 'GET',
    segments: [...R, 'commits', ':sha', 'refs'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: commitRefs,
  },
  {
    method: 'POST',
    segments: [...R, 'commits'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: commitCreate,
  },
  {
    method: 'GET',
    segments: [...R, 'files', ':file_path'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: fileShow,
  },
  {
    method: 'GET',
    segments: [...R, 'files', ':file_path', 'raw'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: fileRaw,
  },
  {
    method: 'GET',
    segments: [...R, 'branches'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: branchList,
  },
  {
    method: 'GET',
    segments: [...R, 'branches', ':branch'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: branchShow,
  },
  {
    method: 'POST',
    segments: [...R, 'branches'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: branchCreate,
  },
  {
    method: 'DELETE',
    segments: [...R, 'branches', ':branch'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: branchDelete,
  },
  {
    method: 'GET',
    segments: [...P, 'merge_requests'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: mergeRequestList,
  },
  {
    method: 'GET',
    segments: [...P, 'merge_requests', ':iid'],
    access: 'read',
    jobToken: true,
    project: true,
    handler: mergeRequestShow,
  },
  {
    method: 'POST',
    segments: [...P, 'merge_requests'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: mergeRequestCreate,
  },
  {
    method: 'PUT',
    segments: [...P, 'merge_requests', ':iid'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: mergeRequestEdit,
  },
  {
    method: 'PUT',
    segments: [...P, 'merge_requests', ':iid', 'merge'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: mergeRequestMerge,
  },
  // Commit statuses: https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
  {
    method: 'POST',
    segments: [...P, 'statuses', ':sha'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: statusCreate,
  },
  {
    method: 'GET',
    segments: [...R, 'commits', ':sha', 'statuses'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: statusList,
  },
  // Deployments and environments: https://docs.gitlab.com/api/deployments/, https://docs.gitlab.com/api/environments/
  {
    method: 'POST',
    segments: [...P, 'deployments'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: deploymentCreate,
  },
  {
    method: 'PUT',
    segments: [...P, 'deployments', ':deployment_id'],
    access: 'write',
    jobToken: false,
    project: true,
    handler: deploymentUpdate,
  },
  {
    method: 'GET',
    segments: [...P, 'deployments'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: deploymentList,
  },
  {
    method: 'GET',
    segments: [...P, 'environments'],
    access: 'read',
    jobToken: false,
    project: true,
    handler: environmentList,
  },
  { method: 'GET', segments: ['users'], access: 'read', jobToken: false, project: false, handler: userList },
  {
    method: 'GET',
    segments: ['users', ':userId'],
    access: 'read',
    jobToken: false,
    project: false,
    handler: userShow,
  },
];

/** Matches raw (still encoded) path segments; returns decoded captures. */
export function matchRoute(
  method: string,
  rawSegments: string[],
): { route: Route; params: Record<string, string> } | { methodMismatch: true } | null {
  let methodMismatch = false;
  for (const route of ROUTES) {
    if (route.segments.length !== rawSegments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (const [i, seg] of route.segments.entries()) {
      const raw = rawSegments[i] ?? '';
      let value: string;
      try {
        value = decodeURIComponent(raw);
      } catch {
        ok = false;
        break;
      }
      if (typeof seg === 'string') {
        if (seg.startsWith(':')) params[seg.slice(1)] = value;
        else if (seg !== raw) ok = false;
      } else if (seg.re.test(raw)) params[seg.name] = value;
      else ok = false;
      if (!ok) break;
    }
    if (!ok) continue;
    if (route.method !== method) {
      methodMismatch = true;
      continue;
    }
    return { route, params };
  }
  return methodMismatch ? { methodMismatch: true } : null;
}
