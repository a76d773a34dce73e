import type { ContainerOptions } from './oci.js';
import type { ContainerMount, ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

/** Placeholders that stand for one value, anywhere inside an argv entry. */
const TEXT_PLACEHOLDERS = ['image', 'name', 'workdir', 'pidfile'] as const;
/** Placeholders that stand for several argv entries, each alone in its entry (an optional `:FLAG` after the name). */
const LIST_PLACEHOLDERS = ['command', 'mounts', 'env', 'options'] as const;

type TextPlaceholder = (typeof TEXT_PLACEHOLDERS)[number];
type ListPlaceholder = (typeof LIST_PLACEHOLDERS)[number];

type Entry =
  | { kind: 'text'; parts: (string | { placeholder: TextPlaceholder })[] }
  | { kind: 'list'; placeholder: ListPlaceholder; flag?: string };

const DEFAULT_FLAGS = { mounts: '-v', env: '-e' };

/**
 * Parses config `container_command`: a list of argv entries, or one string split at whitespace (no quoting:
 * use the list form for an entry with a space). Throws with what is wrong and where.
 */
export function parseCommandTemplate(template: string | string[]): Entry[] {
  const words = typeof template === 'string' ? template.trim().split(/\s+/).filter(Boolean) : template;
  const entries = words.map((word) => parseEntry(word));
  if (!uses(entries, 'command')) {
    throw new Error('container_command must contain {command} (the worker\'s command line, as separate arguments)');
  }
  if (!uses(entries, 'image')) throw new Error('container_command must contain {image}');
  return entries;
}

function parseEntry(word: string): Entry {
  const whole = /^\{(command|mounts|env|options)(?::([^{}]+))?\}$/.exec(word);
  if (whole) {
    const placeholder = whole[1] as ListPlaceholder;
    if ((placeholder === 'command' || placeholder === 'options') && whole[2] !== undefined) {
      throw new Error(`container_command: {${placeholder}} takes no flag`);
    }
    return { kind: 'list', placeholder, flag: whole[2] };
  }
  const parts: (string | { placeholder: TextPlaceholder })[] = [];
  let text = '';
  for (let i = 0; i < word.length; i++) {
    const char = word[i];
    if ((char === '{' || char === '}') && word[i + 1] === char) {
      text += char;
      i++;
      continue;
    }
    if (char === '}') throw new Error(`container_command: a lone "}" in ${JSON.stringify(word)} (write "}}" for a brace)`);
    if (char !== '{') {
      text += char;
      continue;
    }
    const end = word.indexOf('}', i);
    const name = end === -1 ? '' : word.slice(i + 1, end);
    if (!(TEXT_PLACEHOLDERS as readonly string[]).includes(name)) {
      const known = [...TEXT_PLACEHOLDERS, ...LIST_PLACEHOLDERS].map((known) => `{${known}}`).join(', ');
      const hint = (LIST_PLACEHOLDERS as readonly string[]).includes(name.split(':')[0])
        ? `{${name}} must be an argument of its own`
        : `unknown placeholder in ${JSON.stringify(word)}`;
      throw new Error(`container_command: ${hint} (placeholders: ${known}; "{{" for a brace)`);
    }
    if (text) parts.push(text);
    text = '';
    parts.push({ placeholder: name as TextPlaceholder });
    i = end;
  }
  if (text || parts.length === 0) parts.push(text);
  return { kind: 'text', parts };
}

function uses(entries: Entry[], placeholder: TextPlaceholder | ListPlaceholder): boolean {
  return entries.some((entry) =>
    entry.kind === 'list'
      ? entry.placeholder === placeholder
      : entry.parts.some((part) => typeof part !== 'string' && part.placeholder === placeholder),
  );
}

function flagged(flag: string, value: string): string[] {
  return flag.endsWith('=') ? [flag + value] : [flag, value];
}

function mountValue(mount: ContainerMount): string {
  return `${mount.source}:${mount.target}:${mount.readOnly ? 'ro' : 'rw'}`;
}

/**
 * A runtime of the endpoint owner's own, from a command template (see docs/containers.md). Every placeholder
 * becomes whole argv entries; nothing passes through a shell. The endpoint's podman configuration is in the
 * command's environment, so a template can call podman itself; with `{pidfile}` in the template the runtime is
 * taken to write the container's host pid there, and the daemon measures and kills the container by it.
 */
export class CustomRuntime implements ContainerRuntime {
  readonly kind = 'custom';
  readonly binary: string;
  readonly install = 'install the program container_command names, or give its full path';
  readonly keepsProcessTree = false;
  private readonly entries: Entry[];
  /** The template names {pidfile}: the container's processes are found by the pid written there. */
  private readonly detached: boolean;

  constructor(
    template: string | string[],
    private readonly options: ContainerOptions,
    private readonly configEnv: NodeJS.ProcessEnv = {},
  ) {
    this.entries = parseCommandTemplate(template);
    const first = this.entries[0];
    if (first.kind !== 'text' || first.parts.some((part) => typeof part !== 'string')) {
      throw new Error('container_command must start with the program to run, e.g. [podman, run, ...]');
    }
    this.binary = first.parts.join('');
    if (options.options.length > 0 && !uses(this.entries, 'options')) {
      throw new Error('container_options are set but container_command has no {options} to put them');
    }
    this.detached = uses(this.entries, 'pidfile');
  }


  /** The argv (program first) of one worker's container. */
  expand(spec: ContainerSpec): string[] {
    const values: Record<TextPlaceholder, string> = {
      image: spec.image,
      name: spec.name,
      workdir: spec.workdir,
      pidfile: spec.pidFile,
    };
    const argv: string[] = [];
    for (const entry of this.entries) {
      if (entry.kind === 'text') {
        argv.push(entry.parts.map((part) => (typeof part === 'string' ? part : values[part.placeholder])).join(''));
      } else if (entry.placeholder === 'command') {
        argv.push(...spec.command);
      } else if (entry.placeholder === 'options') {
        argv.push(...this.options.options);
      } else if (entry.placeholder === 'mounts') {
        for (const mount of spec.mounts) argv.push(...flagged(entry.flag ?? DEFAULT_FLAGS.mounts, mountValue(mount)));
      } else {
        for (const name of Object.keys(spec.env)) argv.push(...flagged(entry.flag ?? DEFAULT_FLAGS.env, name));
      }
    }
    return argv;
  }

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const [command, ...args] = this.expand(spec);
    const own = { ...env, ...this.configEnv };
    return {
      command,
      args,
      env: { ...env, ...spec.env, ...this.configEnv },
      cwd: spec.workdir,
      container: {
        image: spec.image,
        name: spec.name,
        detached: this.detached,
        pidFile: this.detached ? spec.pidFile : undefined,
        env: own,
      },
    };
  }
}
