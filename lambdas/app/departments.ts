import { AppError, type Violation } from '../core/errors.js';
import type { Deps } from './deps.js';

/**
 * The departments the service knows: those with an item in the catalogue, in any version and
 * any state. The catalogue is the bureau's list of who collects what; there is no other
 * register (a department's profile holds only its printed name: ranges and renames write it), and
 * GET /v1/departments lists the catalogue's departments (and those of older ranges).
 */

/** How old what a process read must be before a miss reads the catalogue again (the complaint form). */
export const MISS_REREAD_MS = 10_000;

interface Read {
  at: number;
  departments: Promise<ReadonlySet<string>>;
}

const reads = new WeakMap<Deps['catalogue'], Read>();

function readCatalogue(catalogue: Deps['catalogue']): Read {
  const read: Read = {
    at: Date.now(),
    departments: catalogue.allVersions().then((versions) => new Set(versions.map((v) => v.department))),
  };
  reads.set(catalogue, read);
  read.departments.catch(() => reads.get(catalogue) === read && reads.delete(catalogue));
  return read;
}

/**
 * Whether a department is in the catalogue. Items are never deleted, so a department once known
 * stays known: a hit in what this process read is final. Only a miss may be stale (an item
 * created since): it reads the catalogue again once what was read is `rereadAfterMs` old.
 * Finance (allocating ranges) asks with 0; the public complaint form with MISS_REREAD_MS, so
 * that its misses cost at most one catalogue read per interval and process.
 */
export async function isKnownDepartment(
  deps: Pick<Deps, 'catalogue'>,
  department: string,
  rereadAfterMs = MISS_REREAD_MS,
): Promise<boolean> {
  const held = reads.get(deps.catalogue);
  if (held && (await held.departments).has(department)) return true;
  const fresh = held && Date.now() - held.at < rereadAfterMs ? held : readCatalogue(deps.catalogue);
  return fresh === held ? false : (await fresh.departments).has(department);
}

/** What is wrong with a department code that names no department of the catalogue (`why`: what to do). */
export function unknownDepartmentViolation(department: string, why: string): Violation {
  return {
    path: 'department',
    rule: 'unknown_department',
    message: `department ${department} has no item in the catalogue: ${why}`,
  };
}

/** The 422 for such a department code. */
export function unknownDepartment(department: string, why: string): AppError {
  return new AppError('unprocessable', `department ${department} is not in the catalogue`, [
    unknownDepartmentViolation(department, why),
  ]);
}
