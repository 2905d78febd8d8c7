import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@weft/core';
import { definingModuleOf, type Executor, isExecutorClass } from '@weft/executor-runtime';

/** What `uses` may be: an Executor class or a module specifier `./file.ts#ExportName` (or `package#ExportName`). */
export type Uses = (new (args?: any) => Executor) | string;

/** Where a child process finds the executor class. */
export interface UsesSpec {
  /** File URL of the module (or executor YAML file), or a bare package specifier. */
  module: string;
  /** Export name of the class; empty for an executor YAML file. */
  exportName: string;
}

/** Whether a specifier names a package (`@weft/executor-runtime`) rather than a file. */
function isBare(file: string): boolean {
  return !/^(?:\.{1,2}[\\/]|\/|file:|[A-Za-z]:[\\/])/.test(file);
}

/**
 * Resolves `uses` to a module URL and export name. Relative specifiers resolve against `baseDir`;
 * a class resolves to the module that defined it (recorded by its `@requests` decorators), or
 * `fallbackModule` (the module that created the Flow) when it has none.
 */
export function resolveUses(uses: Uses, baseDir: string, fallbackModule: string | undefined): UsesSpec {
  if (typeof uses === 'string') {
    const yaml = uses.trim();
    if (/\.ya?ml$/i.test(yaml)) {
      // An executor YAML file (`jtype: ./encoder.ts#Encoder`, `with:`, `metas:`), loaded by the runtime.
      const url = yaml.startsWith('file://')
        ? yaml
        : pathToFileURL(isAbsolute(yaml) ? yaml : resolve(baseDir, yaml)).href;
      return { module: url, exportName: '' };
    }
    const m = /^(.+?)(?:#([A-Za-z_$][\w$]*))?$/.exec(uses.trim());
    if (!m?.[2]) {
      throw new ConfigError(
        `uses '${uses}' is not valid: give a module and an export name, e.g. './encoder.ts#Encoder'`,
      );
    }
    const file = m[1]!;
    if (isBare(file)) return { module: file, exportName: m[2] };
    const url = file.startsWith('file://')
      ? file
      : pathToFileURL(isAbsolute(file) ? file : resolve(baseDir, file)).href;
    return { module: url, exportName: m[2] };
  }
  if (!isExecutorClass(uses)) {
    throw new ConfigError(`uses must be an Executor subclass or './file.ts#Export', got ${String(uses)}`);
  }
  const module = definingModuleOf(uses) ?? fallbackModule;
  if (!module) {
    throw new ConfigError(
      `cannot tell which module defines Executor '${uses.name}': export it from a module and give uses as './file.ts#${uses.name}'`,
    );
  }
  return { module, exportName: uses.name };
}

/** The name of the class `uses` refers to. */
export function usesClassName(uses: Uses): string {
  return typeof uses === 'string' ? uses.slice(uses.lastIndexOf('#') + 1) : uses.name;
}
