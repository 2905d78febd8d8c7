import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '@weft/core';
import {
  type DynamicBatchingOptions,
  type Executor,
  type ExecutorMetas,
  isExecutorClass,
} from './executor.js';

/** An Executor class. */
export type ExecutorClass = new (args?: any) => Executor;

/**
 * What `uses` may be: an Executor class; a module specifier `./file.ts#Export` (or a `file://` URL,
 * or a module without `#Export` that exports exactly one Executor); a path to an Executor YAML file
 * (`.yml`/`.yaml`); or inline YAML text (`jtype: …`).
 */
export type ExecutorUses = ExecutorClass | string;

/** Options of {@link loadExecutorClass}. */
export interface LoadExecutorOptions {
  /** Folder that relative module and YAML paths resolve against. @default process.cwd() */
  baseDir?: string;
  /** Classes a YAML `jtype: Name` may name besides those exported by `metas.py_modules`. @default `{}` */
  classes?: Record<string, ExecutorClass>;
}

/** An Executor class with the configuration that came with it (from YAML, or empty for a class). */
export interface LoadedExecutor {
  /** The class to construct. */
  cls: ExecutorClass;
  /** Constructor arguments (YAML `with`). */
  with: Record<string, unknown>;
  /** Metas (YAML `metas`). */
  metas: Partial<ExecutorMetas>;
  /** Endpoint → method name rebindings (YAML `requests`). */
  requests: Record<string, string>;
  /** Endpoint → dynamic batching (YAML `dynamic_batching`). */
  dynamicBatching: Record<string, DynamicBatchingOptions>;
  /** Where the class came from, for messages: a module URL with `#Export`, a YAML path, or `class Name`. */
  source: string;
}

const YAML_KEYS = ['jtype', 'with', 'metas', 'requests', 'dynamic_batching'];
let tsxRegistered = false;

/** Imports a module; registers the tsx loader once when Node cannot load a TypeScript file by itself. */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || tsxRegistered) throw err;
    const { register } = (await import('tsx/esm/api')) as { register: () => unknown };
    register();
    tsxRegistered = true;
    // Node remembers the failed load of `url`: import it again under a URL it has not seen.
    const retry = new URL(url);
    retry.searchParams.set('weft-tsx', '1');
    return (await import(retry.href)) as Record<string, unknown>;
  }
}

function toUrl(file: string, baseDir: string): string {
  if (file.startsWith('file://')) return file;
  return pathToFileURL(isAbsolute(file) ? file : resolve(baseDir, file)).href;
}

function executorExports(mod: Record<string, unknown>): string[] {
  return Object.entries(mod)
    .filter(([, v]) => isExecutorClass(v))
    .map(([k]) => k);
}

async function loadFromModule(
  file: string,
  exportName: string | undefined,
  baseDir: string,
): Promise<LoadedExecutor> {
  const url = toUrl(file, baseDir);
  if (url.startsWith('file://') && !existsSync(fileURLToPath(url))) {
    throw new ConfigError(
      `uses '${file}': module ${fileURLToPath(url)} does not exist (resolved against ${baseDir})`,
    );
  }
  const mod = await importModule(url);
  const names = executorExports(mod);
  let name = exportName;
  if (name === undefined) {
    if (names.length !== 1) {
      throw new ConfigError(
        `uses '${file}': name the Executor to serve as '${file}#Name'; ` +
          `the module exports ${names.length ? `these Executors: ${names.join(', ')}` : 'no Executor class'}`,
      );
    }
    name = names[0]!;
  }
  const cls = mod[name];
  if (!isExecutorClass(cls)) {
    const what =
      name in mod ? `'${name}' is exported but is not an Executor subclass` : `it has no export '${name}'`;
    throw new ConfigError(
      `uses '${file}#${name}': ${what}. Executors exported there: ${names.join(', ') || 'none'}; ` +
        `all exports: ${Object.keys(mod).join(', ') || 'none'}`,
    );
  }
  return {
    cls: cls as ExecutorClass,
    with: {},
    metas: {},
    requests: {},
    dynamicBatching: {},
    source: `${url}#${name}`,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Reads a YAML `dynamic_batching` entry (`preferred_batch_size`, `timeout`; camelCase accepted). */
export function batchingFromYaml(value: unknown, where: string): DynamicBatchingOptions {
  if (!isPlainObject(value)) {
    throw new ConfigError(`${where}: expected {preferred_batch_size, timeout}, got ${JSON.stringify(value)}`);
  }
  const size = value.preferred_batch_size ?? value.preferredBatchSize;
  const timeout = value.timeout ?? value.timeout_ms ?? value.timeoutMs;
  const known = ['preferred_batch_size', 'preferredBatchSize', 'timeout', 'timeout_ms', 'timeoutMs'];
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new ConfigError(
      `${where}: unknown key(s) ${unknown.join(', ')}; use preferred_batch_size and timeout (ms)`,
    );
  }
  return {
    preferredBatchSize: size as number,
    ...(timeout !== undefined ? { timeoutMs: timeout as number } : {}),
  };
}

async function loadFromYaml(text: string, where: string, baseDir: string, options: LoadExecutorOptions) {
  let doc: unknown;
  try {
    const { parse } = await import('yaml'); // loaded only when YAML is used
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${where}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isPlainObject(doc))
    throw new ConfigError(`${where}: expected a mapping with 'jtype', got ${typeof doc}`);
  const unknown = Object.keys(doc).filter((k) => !YAML_KEYS.includes(k));
  if (unknown.length) {
    throw new ConfigError(
      `${where}: unknown key(s) ${unknown.join(', ')}; an Executor YAML has ${YAML_KEYS.join(', ')}`,
    );
  }
  const jtype = doc.jtype;
  if (typeof jtype !== 'string' || !jtype) {
    throw new ConfigError(
      `${where}: 'jtype' must name the Executor class, e.g. 'jtype: MyExecutor' or './my.ts#MyExecutor'`,
    );
  }
  for (const key of ['with', 'metas', 'requests', 'dynamic_batching'] as const) {
    if (doc[key] !== undefined && doc[key] !== null && !isPlainObject(doc[key])) {
      throw new ConfigError(`${where}: '${key}' must be a mapping, got ${JSON.stringify(doc[key])}`);
    }
  }
  const metas = { ...((doc.metas as Record<string, unknown> | undefined) ?? {}) };
  const requests: Record<string, string> = {};
  for (const [ep, method] of Object.entries((doc.requests as Record<string, unknown> | undefined) ?? {})) {
    if (typeof method !== 'string') {
      throw new ConfigError(
        `${where}: requests['${ep}'] must be a method name, got ${JSON.stringify(method)}`,
      );
    }
    requests[ep] = method;
  }
  const dynamicBatching: Record<string, DynamicBatchingOptions> = {};
  for (const [ep, v] of Object.entries((doc.dynamic_batching as Record<string, unknown> | undefined) ?? {})) {
    dynamicBatching[ep] = batchingFromYaml(v, `${where}: dynamic_batching['${ep}']`);
  }

  let cls: ExecutorClass | undefined;
  let source: string;
  if (jtype.includes('#') || /\.[cm]?[jt]sx?$/.test(jtype)) {
    const [file, name] = jtype.split('#');
    const loaded = await loadFromModule(file!, name, baseDir);
    cls = loaded.cls;
    source = loaded.source;
  } else {
    const modules = metas.py_modules ?? metas.modules;
    delete metas.py_modules;
    delete metas.modules;
    const list = modules === undefined ? [] : Array.isArray(modules) ? modules : [modules];
    const seen: string[] = Object.keys(options.classes ?? {});
    cls = options.classes?.[jtype];
    source = `${where} (jtype ${jtype})`;
    for (const m of list) {
      if (cls) break;
      if (typeof m !== 'string') throw new ConfigError(`${where}: metas.py_modules must list module paths`);
      const mod = await importModule(toUrl(m, baseDir));
      seen.push(...executorExports(mod));
      if (isExecutorClass(mod[jtype])) cls = mod[jtype] as ExecutorClass;
    }
    if (!cls) {
      throw new ConfigError(
        `${where}: jtype '${jtype}' is not an Executor found in ${list.length ? `metas.py_modules (${list.join(', ')})` : 'any module'}. ` +
          `Known Executors: ${seen.join(', ') || 'none'}. Give jtype as './file.ts#${jtype}', or list its module in metas.py_modules`,
      );
    }
  }
  return {
    cls,
    with: { ...((doc.with as Record<string, unknown> | undefined) ?? {}) },
    metas: metas as Partial<ExecutorMetas>,
    requests,
    dynamicBatching,
    source,
  };
}

/**
 * Loads the Executor class (and its YAML configuration, if any) that `uses` names.
 *
 * @throws ConfigError naming the spec and what to do: a missing module, an export that is not an
 *   Executor (listing what the module exports), invalid YAML or unknown YAML keys.
 * @example
 * ```ts
 * const { cls, with: args } = await loadExecutorClass('./executors.ts#Encoder', { baseDir: import.meta.dirname });
 * ```
 */
export async function loadExecutorClass(
  uses: ExecutorUses,
  options: LoadExecutorOptions = {},
): Promise<LoadedExecutor> {
  const baseDir = options.baseDir ?? process.cwd();
  if (typeof uses === 'function') {
    if (!isExecutorClass(uses)) {
      throw new ConfigError(
        `uses must be an Executor subclass, a module specifier or YAML; got function ${(uses as Function).name}`,
      );
    }
    return {
      cls: uses,
      with: {},
      metas: {},
      requests: {},
      dynamicBatching: {},
      source: `class ${uses.name}`,
    };
  }
  if (typeof uses !== 'string' || !uses.trim()) {
    throw new ConfigError(
      `uses must be an Executor class, './file.ts#Export', a YAML file or inline YAML; got ${JSON.stringify(uses)}`,
    );
  }
  const spec = uses.trim();
  if (spec.includes('\n') || /^jtype\s*:/.test(spec))
    return loadFromYaml(spec, 'inline YAML', baseDir, options);
  const [file, exportName] = spec.split('#') as [string, string | undefined];
  if (/\.ya?ml$/i.test(file)) {
    const path = file.startsWith('file://') ? fileURLToPath(file) : resolve(baseDir, file);
    if (!existsSync(path)) throw new ConfigError(`uses '${spec}': YAML file ${path} does not exist`);
    return loadFromYaml(readFileSync(path, 'utf8'), path, dirname(path), options);
  }
  if (exportName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new ConfigError(`uses '${spec}': '${exportName}' is not a valid export name`);
  }
  return loadFromModule(file, exportName, baseDir);
}
