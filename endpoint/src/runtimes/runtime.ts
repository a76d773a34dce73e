/** How a worker without a container image is isolated; `sandbox` in config.yaml picks one (see docs/endpoint.md). */
export type RuntimeKind = 'process' | 'bwrap';

/** A command line to spawn, with its environment and working directory. */
export interface WorkerLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Where the worker's request and reply lines travel: its fds 3 and 4 (the default), or the launched command's
   * stdin and stdout, for a runtime that cannot hand extra descriptors to the container (docker).
   */
  channel?: WorkerChannel;
  /** Set when the worker runs in a container (see ContainerHandle). */
  container?: ContainerHandle;
}

export type WorkerChannel = 'fds' | 'stdio';

/** Turns a worker's own command into the command that runs it isolated. */
export interface Runtime {
  readonly kind: RuntimeKind;
  /**
   * The runtime's own init keeps every process the worker starts inside the worker's tree and reaps them (a PID
   * namespace); otherwise the worker forks a reaper of its own (funcx_process.become_reaper).
   */
  readonly keepsProcessTree: boolean;
  /** `scratch` is the one directory the worker may write (its HOME, holding each task's directory). */
  wrap(worker: WorkerLaunch, scratch: string): WorkerLaunch;
}

/** config.yaml `container_runtime`: what runs workers in container images. */
export const CONTAINER_RUNTIME_KINDS = [
  'none',
  'podman',
  'docker',
  'apptainer',
  'singularity',
  'shifter',
  'podman-hpc',
  'bwrap',
  'custom',
] as const;
export type ContainerRuntimeKind = Exclude<(typeof CONTAINER_RUNTIME_KINDS)[number], 'none'>;

/** A host path bound into a container. */
export interface ContainerMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** One worker to start in a container: everything a runtime needs to build its command line. */
export interface ContainerSpec {
  /** The image reference, exactly as the task or the config names it. */
  image: string;
  /** The worker program (read-only) and its scratch directory (the only writable mount), nothing else. */
  mounts: ContainerMount[];
  /** The worker's command inside the container; argv[0] is found on the image's PATH. */
  command: string[];
  /** The worker's environment. Runtimes pass it without putting a value on a command line. */
  env: { [name: string]: string };
  /** The scratch directory, the worker's working directory (the same path inside as outside). */
  workdir: string;
  /** A name no other container has (podman, docker). */
  name: string;
  /** A host file outside every mount, where a runtime that can tell the container's host pid writes it. */
  pidFile: string;
  /** Labels a runtime can attach (podman, docker): which endpoint started the container. */
  labels: { [name: string]: string };
}

/** What the endpoint keeps about a worker's container, to measure and stop it from outside. */
export interface ContainerHandle {
  image: string;
  name: string;
  /**
   * The container's processes are not descendants of the launched command (podman and docker hand them to a
   * monitor of their own): the daemon finds them by the container's host pid and removes the container itself.
   */
  detached: boolean;
  /** A file that holds the container's host pid once it runs (podman's --pidfile). */
  pidFile?: string;
  /** A command that prints the container's host pid (docker inspect), when there is no pid file. */
  pidCommand?: string[];
  /** A command that removes the container whatever its state (podman rm -f). */
  removeCommand?: string[];
  /** The environment those commands run with. */
  env: NodeJS.ProcessEnv;
}

/** Runs workers in container images: one module per runtime in this folder, each building its command line. */
export interface ContainerRuntime {
  readonly kind: ContainerRuntimeKind;
  /** The program it runs, to say which one is missing. */
  readonly binary: string;
  /** What to do where `binary` is missing ("install it with …"), said after "X is not installed:". */
  readonly install: string;
  /** See Runtime.keepsProcessTree. */
  readonly keepsProcessTree: boolean;
  /** The command line (argv entries, never a shell string), environment and handle of one worker's container. */
  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch;
  /** Why `image` cannot run here before anything is started (a file-based image that does not exist), if known. */
  imageProblem?(image: string): string | undefined;
}
