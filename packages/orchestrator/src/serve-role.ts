import type { NormalizedDeployment } from './options.js';
import { roleState } from './role.js';
import { usesClassName } from './uses.js';

/**
 * In a child runtime that re-imported the user's module: serve this process's executor from the
 * Flow/Deployment being started there, instead of starting anything. Returns false in a parent process.
 * A Flow or Deployment in a child never starts processes; the returned promise tells the caller to hang.
 */
export async function serveRoleIfChild(deployments: readonly NormalizedDeployment[]): Promise<boolean> {
  const state = roleState();
  if (!state) return false;
  if (state.claimed) return true;
  const role = state.role;
  const d = deployments.find((x) => x.name === role.deployment);
  const uses = d
    ? [d.uses, d.usesBefore, d.usesAfter].find((u) => u !== undefined && usesClassName(u) === role.exportName)
    : undefined;
  if (!uses) {
    const err = new Error(
      `runtime '${role.runtimeName}': ${role.module} started a Flow or Deployment that has no deployment '${role.deployment}' ` +
        `using '${role.exportName}', so this child cannot tell which Executor to serve. Give uses as './file.ts#${role.exportName}' ` +
        `(exported from a module that does not start a Flow), or create the Flow the same way in every run of the module.`,
    );
    state.fail?.(err);
    return true;
  }
  if (typeof uses === 'string') {
    // The parent already resolved the specifier into the role.
    const mod = (await import(role.module)) as Record<string, Function>;
    await state.serve!(mod[role.exportName]!);
  } else {
    await state.serve!(uses);
  }
  return true;
}
