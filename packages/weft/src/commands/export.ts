import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './args.js';
import { exportDockerCompose, exportKubernetes, loadYaml, yamlJsonSchema } from '@weft/orchestrator';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function secretArg(text: string, previous: Record<string, { name: string; key: string }> = {}) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=([a-z0-9.-]+):(.+)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`--secret takes ENV=secret-name:key; got ${text}`);
  return { ...previous, [m[1]!]: { name: m[2]!, key: m[3]! } };
}

/** Registers `weft export kubernetes|docker-compose|flowchart|schema`. */
export function registerExport(program: Command): void {
  const exp = program
    .command('export')
    .description(
      'export a Flow to Kubernetes manifests, a Docker Compose file or a flowchart; or the YAML JSON schema',
    );

  exp
    .command('kubernetes')
    .description('write Kubernetes manifests: one folder per deployment, gateway/gateway.yml for the gateway')
    .argument('<flow.yml>', 'the Flow (or Deployment) YAML')
    .argument('<out-dir>', 'folder to write the manifests into')
    .option('--namespace <ns>', 'namespace of every object', 'default')
    .option('--image <image>', 'container image with the weft CLI and your executors', 'weft:latest')
    .option('--workdir <dir>', 'folder of your project inside the image', '/app')
    .option('--project-dir <dir>', 'your project folder (default: the nearest package.json above the YAML)')
    .option('--image-pull-secret <name>', 'image pull secret (repeatable)', collect)
    .option(
      '--secret <ENV=name:key>',
      'environment variable from a Kubernetes Secret (repeatable)',
      secretArg,
    )
    .option('--log-level <level>', 'WEFT_LOG_LEVEL of every runtime', 'info')
    .option(
      '--no-secret-data',
      'refer to the Secrets of certificates and tokens (weft-internal-tls, weft-gateway-tls, weft-gateway-auth) without writing secrets/secrets.yml; create them yourself',
    )
    .addHelpText(
      'after',
      `
Example:
  $ weft export kubernetes flow.yml k8s --namespace search --image registry.example/search:1.0
  $ kubectl create namespace search && kubectl apply -R -f k8s

Certificates, keys and tokens of the Flow (ssl_*, internal_tls, auth) go into k8s/secrets/secrets.yml
(keep it out of version control), or, with --no-secret-data, into Secrets you create, e.g.
  $ kubectl -n search create secret generic weft-internal-tls --from-file=tls.crt --from-file=tls.key --from-file=ca.crt`,
    )
    .action(
      async (
        file: string,
        out: string,
        o: {
          namespace: string;
          image: string;
          workdir: string;
          projectDir?: string;
          imagePullSecret?: string[];
          secret?: Record<string, { name: string; key: string }>;
          logLevel: string;
          secretData: boolean;
        },
      ) => {
        const x = await loadYaml(file);
        const written = await exportKubernetes(x, out, {
          includeSecrets: o.secretData,
          namespace: o.namespace,
          image: o.image,
          workdir: o.workdir,
          projectDir: o.projectDir,
          imagePullSecrets: o.imagePullSecret,
          secrets: o.secret,
          logLevel: o.logLevel,
        });
        console.log(
          `wrote ${written.length} files under ${out}:\n${written.map((w) => `  ${w}`).join('\n')}`,
        );
      },
    );

  exp
    .command('docker-compose')
    .description('write a Docker Compose file: a service per replica, shard and head, plus the gateway')
    .argument('<flow.yml>', 'the Flow (or Deployment) YAML')
    .argument('<out.yml>', 'the Compose file to write')
    .option('--image <image>', 'container image with the weft CLI and your executors', 'weft:latest')
    .option('--workdir <dir>', 'folder of your project inside the image', '/app')
    .option('--project-dir <dir>', 'your project folder (default: the nearest package.json above the YAML)')
    .option('--network <name>', 'name of the bridge network', 'weft')
    .option('--log-level <level>', 'WEFT_LOG_LEVEL of every runtime', 'info')
    .addHelpText(
      'after',
      '\nExample:\n  $ weft export docker-compose flow.yml docker-compose.yml && docker compose up',
    )
    .action(
      async (
        file: string,
        out: string,
        o: { image: string; workdir: string; projectDir?: string; network: string; logLevel: string },
      ) => {
        const x = await loadYaml(file);
        await exportDockerCompose(x, out, o);
        console.log(`wrote ${out}`);
      },
    );

  exp
    .command('flowchart')
    .description('draw the Flow: Mermaid in Markdown (.md), raw Mermaid (.mmd) or SVG (.svg)')
    .argument('<flow.yml>', 'the Flow YAML')
    .argument('<out>', 'out.md, out.mmd or out.svg')
    .addHelpText('after', '\nExample:\n  $ weft export flowchart flow.yml flow.svg')
    .action(async (file: string, out: string) => {
      const ext = extname(out).toLowerCase();
      if (!['.md', '.mmd', '.svg'].includes(ext)) {
        throw new UsageError(`the flowchart file must end in .md, .mmd or .svg; got ${out}`);
      }
      const x = await loadYaml(file);
      if (!('plot' in x)) throw new UsageError(`${file} is a Deployment; flowcharts draw Flows`);
      const text =
        ext === '.svg' ? x.plotSvg() : ext === '.mmd' ? x.plot() : `\`\`\`mermaid\n${x.plot()}\`\`\`\n`;
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, text);
      console.log(`wrote ${out}`);
    });

  exp
    .command('schema')
    .description('print (or write) the JSON schema of Flow and Deployment YAML, for editors')
    .argument('[out.json]', 'file to write; stdout when omitted')
    .addHelpText(
      'after',
      '\nExample:\n  $ weft export schema weft.schema.json\n  # then in flow.yml: # yaml-language-server: $schema=./weft.schema.json',
    )
    .action(async (out?: string) => {
      const text = `${JSON.stringify(yamlJsonSchema(), null, 2)}\n`;
      if (out) {
        await writeFile(out, text);
        console.log(`wrote ${out}`);
      } else process.stdout.write(text);
    });
}
