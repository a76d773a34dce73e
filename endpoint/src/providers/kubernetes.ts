import type { EndpointConfig } from '../config.js';
import { jobName } from './batch.js';
import type { BlockLaunch, JobState, Provider, ProviderOptions } from './provider.js';

const DEFAULT_NAMESPACE = 'default';
const DEFAULT_ENDPOINT_DIR = '/opt/funcx/endpoint';

/** The pod of one block (one node: one manager), in the shape the Kubernetes API takes (V1Pod). */
export function podManifest(config: EndpointConfig, launch: BlockLaunch) {
  const k8s = config.kubernetes ?? {};
  if (!k8s.image) throw new Error('kubernetes.image is missing: name an image with node, python3 and the endpoint package');
  const name = jobName(config.name, launch.blockId).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (k8s.cpu_request) requests.cpu = k8s.cpu_request;
  if (k8s.memory_request) requests.memory = k8s.memory_request;
  if (k8s.cpu_limit) limits.cpu = k8s.cpu_limit;
  if (k8s.memory_limit) limits.memory = k8s.memory_limit;
  const manager = `node ${k8s.endpoint_dir ?? DEFAULT_ENDPOINT_DIR}/dist/src/manager-main.js`;
  const command = config.worker_init ? `${config.worker_init.trimEnd()}\nexec ${manager}` : `exec ${manager}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'funcx-manager', 'funcx.endpoint': config.endpoint_id, 'funcx.block': launch.blockId },
    },
    spec: {
      restartPolicy: 'Never',
      ...(k8s.service_account ? { serviceAccountName: k8s.service_account } : {}),
      containers: [
        {
          name: 'manager',
          image: k8s.image,
          command: ['/bin/sh', '-c', command],
          env: Object.entries({ ...launch.env, FUNCX_BLOCK_NODES: '' })
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([envName, value]) => ({ name: envName, value })),
          resources: {
            ...(Object.keys(requests).length > 0 ? { requests } : {}),
            ...(Object.keys(limits).length > 0 ? { limits } : {}),
          },
        },
      ],
    },
  };
}

/** A pod's phase as a block state. */
export function podState(phase: string | undefined): JobState {
  if (phase === 'Pending' || phase === undefined) return 'pending';
  return phase === 'Running' ? 'running' : 'gone';
}

type CoreApi = {
  createNamespacedPod(request: { namespace: string; body: unknown }): Promise<{ metadata?: { name?: string } }>;
  readNamespacedPod(request: { name: string; namespace: string }): Promise<{ status?: { phase?: string } }>;
  deleteNamespacedPod(request: { name: string; namespace: string }): Promise<unknown>;
};

/**
 * Blocks as pods, through the official client (@kubernetes/client-node), configured as kubectl is (KUBECONFIG,
 * ~/.kube/config, or the service account of a daemon that runs in the cluster). nodes_per_block is 1: a pod is a node.
 */
export class KubernetesProvider implements Provider {
  readonly kind = 'kubernetes';
  private api?: Promise<CoreApi>;
  private readonly namespace: string;

  constructor(private readonly options: ProviderOptions) {
    this.namespace = options.config.kubernetes?.namespace ?? DEFAULT_NAMESPACE;
  }

  private core(): Promise<CoreApi> {
    this.api ??= import('@kubernetes/client-node').then((k8s) => {
      const config = new k8s.KubeConfig();
      config.loadFromDefault();
      return config.makeApiClient(k8s.CoreV1Api) as unknown as CoreApi;
    });
    return this.api;
  }

  async submit(launch: BlockLaunch): Promise<string> {
    const pod = podManifest(this.options.config, launch);
    const created = await (await this.core()).createNamespacedPod({ namespace: this.namespace, body: pod });
    return created.metadata?.name ?? pod.metadata.name;
  }

  async status(jobIds: string[]): Promise<Map<string, JobState>> {
    const api = await this.core();
    const states = new Map<string, JobState>();
    await Promise.all(
      jobIds.map(async (name) => {
        try {
          states.set(name, podState((await api.readNamespacedPod({ name, namespace: this.namespace })).status?.phase));
        } catch {
          states.set(name, 'gone');
        }
      }),
    );
    return states;
  }

  async cancel(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const api = await this.core();
    await Promise.all(
      jobIds.map((name) => api.deleteNamespacedPod({ name, namespace: this.namespace }).catch((error: Error) => this.options.log('warn', `could not delete pod ${name}: ${error.message}`))),
    );
  }

  async stop(): Promise<void> {}
}
