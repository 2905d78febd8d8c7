import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '@weft/core';
import { Flow } from './flow.js';

const ExecutorYaml = z
  .object({
    name: z.string().min(1).optional(),
    uses: z.string().min(1),
    replicas: z.number().int().min(1).optional(),
    needs: z.union([z.string(), z.array(z.string())]).optional(),
    uses_with: z.record(z.string(), z.unknown()).optional(),
    uses_metas: z.record(z.string(), z.unknown()).optional(),
    timeout_send: z.number().int().positive().optional(),
    workspace: z.string().optional(),
  })
  .loose();

const FlowYaml = z.object({
  jtype: z.literal('Flow'),
  version: z.union([z.string(), z.number()]).optional(),
  with: z
    .object({
      port: z.number().int().min(1).max(65535).optional(),
      protocol: z.literal('grpc').optional(),
      timeout_ready: z.number().int().positive().optional(),
    })
    .loose()
    .optional(),
  executors: z.array(ExecutorYaml).default([]),
});

/** The parsed form of a Flow YAML file. */
export type FlowYamlDocument = z.infer<typeof FlowYaml>;

function formatIssues(file: string, error: z.ZodError): string {
  return error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
}

/**
 * Loads a Flow from a YAML file with Jina's keys (`jtype: Flow`, `with:`, `executors:`,
 * `uses_with`, `needs`, …). `uses` paths resolve relative to the YAML file.
 */
export async function loadFlowYaml(file: string): Promise<Flow> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `cannot read Flow YAML '${file}': ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
    );
  });
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = FlowYaml.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`${file} is not a valid Flow:\n${formatIssues(file, parsed.error)}`);
  const doc = parsed.data;
  const base = dirname(resolve(file));
  const flow = new Flow({ port: doc.with?.port, timeoutReady: doc.with?.timeout_ready, baseDir: base });
  for (const e of doc.executors) {
    const [path, exportName] = e.uses.split('#');
    const uses = exportName ? `${pathToFileURL(resolve(base, path!)).href}#${exportName}` : e.uses;
    flow.add({
      uses,
      name: e.name,
      replicas: e.replicas,
      needs: e.needs,
      usesWith: e.uses_with,
      usesMetas: e.uses_metas,
      timeoutSend: e.timeout_send,
      workspace: e.workspace,
    });
  }
  return flow;
}
